import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// Scores a feature file (one row per customer, one column per model
/// feature, as `churnkit features` writes it) chunk by chunk: memory stays
/// bounded whatever the number of rows, each chunk is scored on all cores,
/// and rows are written as they are scored, in file order.
public struct FeatureFileScorer: Sendable {
  public let model: ChurnModel

  /// Columns of the file that are not features (besides the model's own
  /// `nonFeatureColumns`).
  public var ignoredColumns: [String] = []
  /// CSV text fields a spreadsheet would run as a formula get a leading `'`.
  public var neutralisesFormulas = true

  public init(model: ChurnModel) { self.model = model }

  /// Scores `path`, handing output bytes to `write`; returns the tally.
  ///
  /// - Throws: `FeatureTableError` naming the model features the file lacks
  ///   or a column that is not one (before scoring anything); `IngestError`
  ///   for unreadable files, a row of the wrong width, or a value that is
  ///   not a number (by file:line:column).
  public func score(
    path: String, format: ScoreFormat, write: ([UInt8]) throws -> Void
  ) throws -> ScoreTally {
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    let columns = try FeatureColumns(
      header: header.enumerated().map { (name: $1, position: $0) }, model: model, path: path, ignoring: ignoredColumns
    ).positions
    if let h = format.header(actions: model.uplift != nil) { try write(Array(h.utf8)) }
    let layout = FeatureFileLayout(header: header, columns: columns, path: path)
    let scorer = ChurnScorer(model: model)
    let tally = try withoutActuallyEscaping(write) { write in
      try score(
        csv, layout, scorer: scorer,
        writer: ScoreWriter(scorer, format: format, neutralisingFormulas: neutralisesFormulas), write: write)
    }
    // Nothing scored is not a result (its drift would compare nothing).
    guard !tally.probabilities.isEmpty else { throw FeatureTableError.noRows(path: path) }
    return tally
  }

  /// One stretch of the file (about 4 MB cut at line breaks into pieces)
  /// and how its scoring is split between the cores.
  private struct Stretch {
    let pieces: CSVPieces
    /// Per work item: the piece, and for parsed pieces its rows.
    let work: [(piece: Int, rows: Range<Int>)]
    /// Per parsed piece, its first row's number in the file.
    let firstRows: [Int]
  }

  /// Scores the stretches on an `OrderedPipeline`: while one is scored on
  /// all cores, the one before it goes out and the next is read (the first
  /// is parsed on all cores). Plain pieces (no quotes) are scanned field by
  /// field as they are scored; without a customer_id column rows are named
  /// by their position, so every piece's row count must be known first:
  /// parsed.
  private func score(
    _ csv: CSVReader, _ layout: FeatureFileLayout, scorer: ChurnScorer, writer: ScoreWriter,
    write: @escaping ([UInt8]) throws -> Void
  ) throws -> ScoreTally {
    let parts = ProcessInfo.processInfo.activeProcessorCount * 4
    let plainWhenPossible = layout.keyColumn != nil
    var csv = csv
    var rowsDone = 0
    var failed = false
    func read(concurrently: Bool) -> Result<Stretch, IngestError>? {
      guard !failed else { return nil }
      do {
        let pieces = try csv.nextPieces(
          parts: parts, concurrently: concurrently, plainWhenPossible: plainWhenPossible)
        if pieces.isEmpty { return nil }
        return .success(split(pieces, parts: parts, rowsDone: &rowsDone))
      } catch {
        failed = true
        return .failure(error)
      }
    }
    var tally = ScoreTally(model: model)
    let pipeline = OrderedPipeline<Result<Stretch, IngestError>, ScoredPiece, (any Error)?>(
      first: { read(concurrently: true) }, read: { read(concurrently: false) },
      pieces: { (try? $0.get())?.work.count ?? 0 },
      work: { stretch, i in Self.score(item: i, of: try! stretch.get(), layout, scorer, writer) },
      finish: { stretch, scored in
        // A value the rows read so far cannot score comes before a read
        // error further on in the file.
        if case .failure(let error) = stretch { return error }
        for piece in scored {
          if let error = piece.error { return error }
          do { try write(piece.bytes) } catch { return error }
          tally.merge(piece.tally)
        }
        return nil
      })
    while pipeline.step() {
      if case let error?? = pipeline.takeFinished() { throw error }
    }
    return tally
  }

  /// The work items of a stretch: its plain pieces, or its parsed pieces —
  /// or, when a quoted field sent the reader back to one piece, that
  /// piece's rows split between the cores.
  private func split(_ pieces: CSVPieces, parts: Int, rowsDone: inout Int) -> Stretch {
    switch pieces {
    case .plain(let plain):
      return Stretch(pieces: pieces, work: plain.indices.map { ($0, 0..<0) }, firstRows: [])
    case .parsed(let chunks):
      let work =
        chunks.count == 1 && chunks[0].recordCount >= 4096
        ? (0..<parts).map { p in (0, (chunks[0].recordCount * p / parts)..<(chunks[0].recordCount * (p + 1) / parts)) }
        : chunks.indices.map { ($0, 0..<chunks[$0].recordCount) }
      let firstRows = chunks.indices.map { p in rowsDone + chunks[..<p].reduce(0) { $0 + $1.recordCount } }
      rowsDone += chunks.reduce(0) { $0 + $1.recordCount }
      return Stretch(pieces: pieces, work: work, firstRows: firstRows)
    }
  }

  /// Scores one work item of a stretch.
  private static func score(
    item i: Int, of stretch: Stretch, _ layout: FeatureFileLayout, _ scorer: ChurnScorer, _ writer: ScoreWriter
  ) -> ScoredPiece {
    let item = stretch.work[i]
    switch stretch.pieces {
    case .plain(let plain):
      var rows = PlainCSVRows(plain[item.piece], layout: layout)
      return scorePiece(&rows, scorer: scorer, writer: writer)
    case .parsed(let chunks):
      var rows = ParsedCSVRows(
        chunks[item.piece], rows: item.rows, firstRow: stretch.firstRows[item.piece], layout: layout)
      return scorePiece(&rows, scorer: scorer, writer: writer)
    }
  }
}
