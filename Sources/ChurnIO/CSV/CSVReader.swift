import ByteStreams

/// A streaming RFC 4180 CSV reader over raw bytes.
///
/// It reads a file in chunks (never whole), and exposes each chunk as a table
/// of complete records whose fields are byte ranges into the chunk, so callers
/// convert only the fields they need and never allocate a `String` per field.
/// Handles quoted fields, doubled quotes, embedded commas and newlines, CRLF,
/// a UTF-8 byte-order mark, a missing final newline, gzip input and `-` for
/// standard input.
///
/// ```swift
/// var csv = try CSVReader(path: "events.csv")
/// let header = try csv.readHeader()
/// while try csv.nextChunk() {
///   for r in 0..<csv.chunk.recordCount { let id = csv.chunk.string(record: r, field: 0) }
/// }
/// ```
public struct CSVReader {
  /// The path, for messages.
  public let path: String
  /// The records parsed by the last `nextChunk()`.
  public private(set) var chunk = CSVChunk()
  private let source: ByteReader
  private var filled = 0  // valid bytes in buffer
  private var parsedUpTo = 0  // start of the first unparsed byte
  private var nextLine = 1  // physical line number of buffer[parsedUpTo]
  /// The longest record accepted: a longer one is an error at its first
  /// line (the buffer doubles up to it, no further).
  public var maxRecordBytes = 64 << 20
  private var atEnd = false
  private var checkedByteOrderMark = false
  /// The field separator; with `.auto`, found from the header line before
  /// the first parse.
  public private(set) var delimiter: UInt8
  private var delimiterChoice: CSVDelimiter
  /// The byte to separate fields with when writing rows this reader reads
  /// back the same way (known once the header is read): the delimiter, or a
  /// tab for whitespace-separated input.
  public var rowSeparator: String { whitespace != nil ? "\t" : String(UnicodeScalar(delimiter)) }
  /// Whitespace-separated input is rewritten as comma-separated as it is
  /// read: whether the last byte written is a comma made from whitespace,
  /// and whether the next byte starts a line.
  private var whitespace: (pendingSeparator: Bool, atLineStart: Bool)?
  /// Buffers of earlier chunks, reused in turn: by the time one comes round
  /// again its chunk has been dropped, so refilling it copies nothing (a
  /// buffer still shared is copied on write, as any array).
  private var spares: [[UInt8]] = []
  private static let rotation = 4
  /// Set once a quoted field is met: from then on `nextChunks(parts:)`
  /// parses in one piece (a quoted field may hold a line break).
  private var quotesSeen = false
  private var delimiterSettled = false
  /// A quote never closed ends the data, but the records before it are
  /// handed out first (so their problems are reported too); the error
  /// comes with the next call.
  private var pendingError: IngestError?

  /// Opens `path` (`-` for standard input; gzip is detected by content).
  /// - Parameter chunkSize: bytes per read; memory use is about twice this.
  /// - Parameter delimiter: the field separator, or `.auto` (the default)
  ///   to find it from the header line.
  public init(path: String, delimiter: CSVDelimiter = .auto, chunkSize: Int = 1 << 22) throws(IngestError) {
    self.path = path
    delimiterChoice = delimiter
    if case .byte(let b) = delimiter { self.delimiter = b } else { self.delimiter = UInt8(ascii: ",") }
    do {
      source = try ByteReader(path: path)
    } catch {
      throw .unreadable(error.description)
    }
    chunk.bytes = [UInt8](repeating: 0, count: max(chunkSize, 16))
  }

  /// Reads the first record as the header and returns its field names.
  ///
  /// - Throws: `.emptyFile` when there is no header.
  public mutating func readHeader() throws(IngestError) -> [String] {
    guard try nextChunk(maxRecords: 1), chunk.recordCount == 1 else { throw .emptyFile(path: path) }
    return (0..<chunk.fieldCount(record: 0)).map { chunk.string(record: 0, field: $0) }
  }

  /// Parses the next chunk of complete records into `chunk`; returns false at
  /// the end of the data.
  public mutating func nextChunk() throws(IngestError) -> Bool {
    try nextChunk(maxRecords: Int.max)
  }

  private mutating func nextChunk(maxRecords: Int) throws(IngestError) -> Bool {
    chunk.reset()
    if let pendingError { throw pendingError }
    while true {
      if !checkedByteOrderMark && (filled >= 3 || atEnd) { skipByteOrderMark() }
      if checkedByteOrderMark && delimiterChoice == .auto && !atEnd
        && !chunk.bytes[parsedUpTo..<filled].contains(UInt8(ascii: "\n"))
        && filled < chunk.bytes.count
      {
        try refill()  // the whole header line first
        continue
      }
      if checkedByteOrderMark && (parsedUpTo < filled || atEnd) {
        try settleDelimiter()
        let outcome = chunk.parse(
          from: parsedUpTo, to: filled, isFinal: atEnd, firstLine: nextLine,
          delimiter: delimiter, maxRecords: maxRecords)
        if let unterminated = outcome.unterminatedQuoteLine {
          let error = IngestError.unterminatedQuote(path: path, line: unterminated)
          guard chunk.recordCount > 0 else { throw error }
          pendingError = error
          parsedUpTo = outcome.consumed
          return true
        }
        if chunk.recordCount > 0 {
          if let r = chunk.firstRecord(longerThan: maxRecordBytes) { throw recordTooLong(line: chunk.line(record: r)) }
          parsedUpTo = outcome.consumed
          nextLine = outcome.nextLine
          return true
        }
        if atEnd { return false }
      }
      // No complete record is left: what is unparsed is the start of one.
      guard filled - parsedUpTo <= maxRecordBytes else { throw recordTooLong() }
      try refill()
    }
  }

  /// Parses the next chunk of complete records as up to `parts` chunks cut at
  /// line breaks, in file order; empty at the end of the data. The pieces
  /// are parsed at once on all cores, or one after another on this thread
  /// when not `concurrently` (for a caller that already keeps the cores busy).
  ///
  /// Cutting at a line break is only sound when no field is quoted; a piece
  /// that meets a quote sends the chunk (and the rest of the file) through
  /// the one-piece parse, so the records and lines are always those of
  /// `nextChunk()`.
  public mutating func nextChunks(parts: Int, concurrently: Bool = true) throws(IngestError) -> [CSVChunk] {
    switch try nextPieces(parts: parts, concurrently: concurrently, plainWhenPossible: false) {
    case .parsed(let chunks): chunks
    case .plain: preconditionFailure("plain pieces were not asked for")
    }
  }

  /// The next chunk of complete records as up to `parts` pieces cut at line
  /// breaks, in file order (none at the end of the data): plain pieces when
  /// the whole chunk holds no quote and no carriage return — every field then
  /// ends at the next delimiter or line feed, and the caller walks the fields
  /// itself without a field table — otherwise as `nextChunks(parts:concurrently:)`.
  public mutating func nextPieces(
    parts: Int, concurrently: Bool = true, plainWhenPossible: Bool = true
  ) throws(IngestError) -> CSVPieces {
    chunk.reset()
    guard parts > 1 && !quotesSeen else { return .parsed(try nextChunk() ? [chunk] : []) }
    while !atEnd && (parsedUpTo > 0 || filled < chunk.bytes.count) { try refill() }
    if !checkedByteOrderMark { skipByteOrderMark() }
    try settleDelimiter()
    let newline = UInt8(ascii: "\n")
    let bytes = chunk.bytes
    // The pieces end after a line break (or at the end of the data).
    var end = filled
    if !atEnd {
      while end > parsedUpTo && bytes[end - 1] != newline { end -= 1 }
    }
    guard end - parsedUpTo >= 1 << 16 else { return .parsed(try nextChunk() ? [chunk] : []) }
    var bounds = [parsedUpTo]
    for k in 1..<parts {
      var cut = max(bounds.last!, parsedUpTo + (end - parsedUpTo) * k / parts)
      while cut < end && cut > parsedUpTo && bytes[cut - 1] != newline { cut += 1 }
      bounds.append(cut)
    }
    bounds.append(end)
    let cuts = bounds
    if plainWhenPossible {
      // Line feeds per piece (each ends one line); any carriage return or
      // quote makes the chunk not plain.
      var lineFeeds: [Int] = []
      for k in 0..<parts {
        let counts = ByteCounts(bytes, from: cuts[k], to: cuts[k + 1], of: (newline, UInt8(ascii: "\r"), quoteByte))
        if counts.second > 0 || counts.third > 0 { break }
        lineFeeds.append(counts.first)
      }
      if lineFeeds.count == parts {
        var pieces: [PlainCSVPiece] = []
        for k in 0..<parts {
          if cuts[k] < cuts[k + 1] {
            pieces.append(
              PlainCSVPiece(bytes: bytes, range: cuts[k]..<cuts[k + 1], firstLine: nextLine, delimiter: delimiter))
          }
          nextLine += lineFeeds[k]
        }
        parsedUpTo = end
        return .plain(pieces)
      }
    }
    let delimiter = self.delimiter
    let parsePiece = { (k: Int) -> (chunk: CSVChunk, outcome: CSVChunk.ParseOutcome) in
      var piece = CSVChunk()
      piece.bytes = bytes
      let outcome = piece.parse(
        from: cuts[k], to: cuts[k + 1], isFinal: true, firstLine: 0, delimiter: delimiter, maxRecords: .max)
      return (piece, outcome)
    }
    let slots = concurrently ? concurrentMap(parts, parsePiece) : (0..<parts).map(parsePiece)
    if slots.contains(where: { $0.outcome.sawQuote }) {
      quotesSeen = true
      return .parsed(try nextChunk() ? [chunk] : [])
    }
    var pieces: [CSVChunk] = []
    for slot in slots {
      var piece = slot.chunk
      piece.lineBase = nextLine
      if let r = piece.firstRecord(longerThan: maxRecordBytes) { throw recordTooLong(line: piece.line(record: r)) }
      nextLine += slot.outcome.nextLine
      if piece.recordCount > 0 { pieces.append(piece) }
    }
    parsedUpTo = end
    return .parsed(pieces)
  }

  /// Steps over a UTF-8 byte-order mark at the start of the data, once
  /// (called when at least three bytes, or all of them, are in).
  private mutating func skipByteOrderMark() {
    checkedByteOrderMark = true
    let b = chunk.bytes
    if filled >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { parsedUpTo = 3 }
  }

  /// Before the first parse: refuses a binary file by name, and fixes the
  /// delimiter (from the header line with `.auto`).
  private mutating func settleDelimiter() throws(IngestError) {
    guard !delimiterSettled else { return }
    delimiterSettled = true
    if let binary = BinaryFormat.recognise(chunk.bytes[parsedUpTo..<filled], path: path) {
      throw .notText(path: path, kind: binary.kind, fix: binary.fix)
    }
    var choice = delimiterChoice
    if choice == .auto {
      let header = chunk.bytes[parsedUpTo..<filled].prefix { $0 != UInt8(ascii: "\n") }
      choice = CSVDelimiter.detect(headerLine: header)
    }
    delimiterChoice = choice
    switch choice {
    case .byte(let b): delimiter = b
    case .whitespace:
      delimiter = UInt8(ascii: ",")
      whitespace = (false, true)
      filled = parsedUpTo + rewriteWhitespace(from: parsedUpTo, to: filled)
    case .auto: break
    }
  }

  /// Rewrites `chunk.bytes[start..<end]` in place from whitespace-separated
  /// to comma-separated; returns how much the filled length changes (at
  /// most `end − start`; −1 when a separator written at the end of the last
  /// read turns out to be trailing whitespace and is taken back).
  ///
  /// A run of spaces and tabs becomes one comma at its first byte, so the
  /// output never overtakes the input; at a line end a comma just written
  /// is taken back (it is still unparsed: its line was not complete).
  private mutating func rewriteWhitespace(from start: Int, to end: Int) -> Int {
    guard var state = whitespace else { return end - start }
    var out = start
    for i in start..<end {
      let b = chunk.bytes[i]
      let isSpace = b == UInt8(ascii: " ") || b == UInt8(ascii: "\t")
      if isSpace {
        if !state.atLineStart && !state.pendingSeparator {
          chunk.bytes[out] = UInt8(ascii: ",")
          out += 1
          state.pendingSeparator = true
        }
        continue
      }
      if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
        if state.pendingSeparator { out -= 1 }
        state.atLineStart = true
      } else {
        state.atLineStart = false
      }
      state.pendingSeparator = false
      chunk.bytes[out] = b
      out += 1
    }
    whitespace = state
    return out - start
  }

  /// The error for a record longer than `maxRecordBytes`, at its line.
  private func recordTooLong(line: Int? = nil) -> IngestError {
    let limit = maxRecordBytes >= 1 << 20 ? "\(maxRecordBytes >> 20) MiB" : "\(maxRecordBytes) bytes"
    return .badField(
      path: path, line: line ?? nextLine, column: nil,
      problem:
        "a record runs past \(limit) (a quote never closed? a binary file?); if rows this long are real, raise the limit with --max-row-mib"
    )
  }

  /// Moves the unparsed tail to the front of the buffer, grows the buffer
  /// when one record fills it, and reads more bytes.
  private mutating func refill() throws(IngestError) {
    if parsedUpTo > 0 {
      // The unparsed tail moves to the front of the next buffer in turn;
      // this one stays with the chunk handed out.
      let tail = filled - parsedUpTo
      var next = spares.count >= Self.rotation ? spares.removeFirst() : []
      if next.count != chunk.bytes.count { next = [UInt8](repeating: 0, count: chunk.bytes.count) }
      for k in 0..<tail { next[k] = chunk.bytes[parsedUpTo + k] }
      spares.append(chunk.bytes)
      chunk.bytes = next
      filled = tail
      parsedUpTo = 0
    }
    if filled == chunk.bytes.count {
      // One record is larger than the buffer: double it, up to a bound, so
      // that a field that never ends (a gzip bomb, a binary file) cannot
      // take the machine's memory.
      guard chunk.bytes.count < maxRecordBytes else { throw recordTooLong() }
      chunk.bytes.append(contentsOf: repeatElement(0, count: chunk.bytes.count))
    }
    do {
      let n = try source.read(into: &chunk.bytes, from: filled)
      if n == 0 { atEnd = true }
      filled += whitespace == nil ? n : rewriteWhitespace(from: filled, to: filled + n)
    } catch {
      throw .unreadable(error.description)
    }
  }
}

/// The records of one chunk as `CSVReader.nextPieces` hands them out.
public enum CSVPieces: Sendable {
  /// Pieces with no quote and no carriage return anywhere in the chunk.
  case plain([PlainCSVPiece])
  /// Pieces split into fields (or one piece, after a quoted field).
  case parsed([CSVChunk])

  /// Whether the data had ended (no piece at all).
  public var isEmpty: Bool {
    switch self {
    case .plain(let pieces): pieces.isEmpty
    case .parsed(let chunks): chunks.isEmpty
    }
  }
}

/// Complete records in `bytes[range]` with no quote and no carriage return:
/// a field ends at the next delimiter or line feed, a record at the next
/// line feed (or the end of the range), and a line feed alone is a blank
/// line, not a record.
public struct PlainCSVPiece: Sendable {
  public let bytes: [UInt8]
  public let range: Range<Int>
  /// The physical line (1-based) that starts at `range.lowerBound`.
  public let firstLine: Int
  public let delimiter: UInt8
}
