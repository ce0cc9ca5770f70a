import ChurnIO
import Foundation

/// Reads an event log CSV into typed `EventBatch`es, chunk by chunk, with
/// every problem recorded as a located `ValidationIssue`.
///
/// Rows with an error (no customer id, an unreadable timestamp, a broken
/// record) are skipped; rows with a warning (an amount that is not a number)
/// are kept with the value treated as missing.
///
/// The work is a three-stage pipeline over the cores: while chunk k is
/// merged into the batch (ids assigned in file order), chunk k+1 is decoded
/// into typed values (split between threads) and chunk k+2 is read and split
/// into records. Results are the same whatever the number of threads.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// var batch = EventBatch()
/// var issues = IssueLog()
/// while try reader.nextBatch(into: &batch, issues: &issues) { … }
/// ```
public struct EventLogReader {
  public let path: String
  public let schema: EventSchema
  public let columns: EventColumns
  private let pipeline: IngestPipeline

  /// Opens `path` and maps its header with `schema`.
  ///
  /// - Parameter threads: decoding threads (default: the active processors).
  public init(
    path: String, schema: EventSchema, chunkSize: Int = 1 << 23,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount
  ) throws(IngestError) {
    self.path = path
    self.schema = schema
    var csv = try CSVReader(path: path, delimiter: schema.delimiter, chunkSize: chunkSize)
    csv.maxRecordBytes = schema.maxRowBytes
    let header = try csv.readHeader()
    columns = try schema.resolve(header: header, path: path)
    let decoder = EventRowDecoder(
      path: path, columns: columns, timeFormat: schema.timeFormat, computesFingerprints: false)
    let merger = EventMerger(width: header.count, hasEventColumn: columns.event != nil)
    if let name = schema.eventName { merger.constantEvent = merger.eventTypes.intern(name) }
    pipeline = IngestPipeline(csv: csv, decoder: decoder, merger: merger, threads: max(1, threads))
  }

  /// Customer ids; batch ids index into these. Complete once the log is
  /// read (asking while reading waits for the work in flight); while
  /// reading, `customerCount` is the cheap way to size per-customer state.
  public var customers: Interner {
    pipeline.waitUntilIdle()
    return pipeline.merger.customers
  }
  /// Customers seen in the batches returned so far.
  public var customerCount: Int { pipeline.snapshot.customerCount }
  /// Event types, channels and stages of the batches returned so far.
  public var eventTypes: Interner { pipeline.snapshot.eventTypes }
  public var channels: Interner { pipeline.snapshot.channels }
  public var stages: Interner { pipeline.snapshot.stages }
  /// Data rows read so far (valid or not), and empty values per header
  /// column (when `countsEmptyValues`).
  public var rowsRead: Int { pipeline.snapshot.rowsRead }
  public var emptyValues: [Int] { pipeline.snapshot.emptyValues }

  /// Whether to count empty values per column (`emptyValues`); set before
  /// the first batch. Validation needs it; features do not.
  public var countsEmptyValues: Bool {
    get { pipeline.decoding.decoder.countsEmptyValues }
    nonmutating set { pipeline.decoding.decoder.countsEmptyValues = newValue }
  }

  /// Whether to fill `EventBatch.fingerprint`; set before the first batch.
  public var computesFingerprints: Bool {
    get { pipeline.decoding.decoder.computesFingerprints }
    nonmutating set { pipeline.decoding.decoder.computesFingerprints = newValue }
  }

  /// Reads the next chunk into `batch` (replacing its contents); false at the end.
  public mutating func nextBatch(into batch: inout EventBatch, issues: inout IssueLog) throws(IngestError) -> Bool {
    batch.removeAll()
    guard let merged = try pipeline.step() else { return false }
    batch = merged.batch
    for issue in merged.issues { issues.record(issue) }
    return true
  }
}

/// The pipeline's stages on an `OrderedPipeline`. While the caller works
/// on batch k, one background step merges chunk k+1 (global ids, in file
/// order), decodes chunk k+2 (in parts) and reads chunk k+3, all at once.
private final class IngestPipeline {
  let decoding: EventDecoding
  let merger: EventMerger
  private let stages: OrderedPipeline<Result<CSVChunk, IngestError>, EventRowDecoder.Rows, Result<Merged, IngestError>>
  private var started = false
  /// What the caller may read about the batches returned so far.
  private(set) var snapshot = Snapshot()

  struct Merged {
    var batch: EventBatch
    var issues: [ValidationIssue]
  }

  struct Snapshot {
    var customerCount = 0
    var eventTypes = Interner()
    var channels = Interner()
    var stages = Interner()
    var rowsRead = 0
    var emptyValues: [Int] = []
  }

  init(csv: CSVReader, decoder: EventRowDecoder, merger: EventMerger, threads: Int) {
    // Decoding is split finer than the thread count so that the stages of
    // a step pack evenly onto the cores.
    let decoding = EventDecoding(decoder, parts: threads == 1 ? 1 : 2 * threads)
    var csv = csv
    var failed = false
    /// The next chunk split into records; nil at the end (or after an error).
    func read() -> Result<CSVChunk, IngestError>? {
      guard !failed else { return nil }
      do {
        return try csv.nextChunk() ? .success(csv.chunk) : nil
      } catch {
        failed = true
        return .failure(error)
      }
    }
    stages = OrderedPipeline(
      first: read, read: read, pieces: { (try? $0.get()).map(decoding.parts) ?? 0 },
      work: { chunk, p in decoding.decode(try! chunk.get(), part: p) },
      finish: { chunk, parts in chunk.map { merger.merge(parts, of: $0) } })
    self.decoding = decoding
    self.merger = merger
    snapshot.eventTypes = merger.eventTypes
    snapshot.emptyValues = merger.emptyValues
  }

  /// Blocks until no background step is running.
  func waitUntilIdle() { stages.wait() }

  /// The next merged batch, or nil at the end of the data.
  func step() throws(IngestError) -> Merged? {
    if !started {
      started = true
      stages.step()  // decodes chunk 0, reads chunk 1
      stages.startStep()  // merges chunk 0, decodes chunk 1, reads chunk 2
    }
    stages.wait()
    guard let result = try stages.takeFinished()?.get() else { return nil }
    snapshot = Snapshot(
      customerCount: merger.customers.count, eventTypes: merger.eventTypes, channels: merger.channels,
      stages: merger.stages, rowsRead: merger.rowsRead, emptyValues: merger.emptyValues)
    stages.startStep()
    return result
  }
}

/// The parallel stage: decodes a chunk's records in parts, part `p` of
/// every chunk with the same local vocabularies.
private final class EventDecoding {
  var decoder: EventRowDecoder
  let partsPerChunk: Int
  private let vocabularies: Partitioned<EventRowDecoder.Vocabularies>

  init(_ decoder: EventRowDecoder, parts: Int) {
    self.decoder = decoder
    partsPerChunk = parts
    vocabularies = Partitioned(Array(repeating: EventRowDecoder.Vocabularies(), count: parts))
  }

  /// Small chunks are decoded in one part.
  func parts(_ chunk: CSVChunk) -> Int { chunk.recordCount >= 8192 ? partsPerChunk : 1 }

  func decode(_ chunk: CSVChunk, part p: Int) -> EventRowDecoder.Rows {
    let n = chunk.recordCount, parts = parts(chunk)
    return vocabularies.update(p) { vocabularies in
      decoder.decode(chunk, rows: (n * p / parts)..<(n * (p + 1) / parts), vocabularies: &vocabularies)
    }
  }
}

/// The sequential stage: assigns global ids in file order and builds batches.
private final class EventMerger {
  var customers = Interner()
  var eventTypes = Interner()
  var channels = Interner()
  var stages = Interner()
  var rowsRead = 0
  var emptyValues: [Int]
  var constantEvent: Int32 = -1
  var batch = EventBatch()
  var issues: [ValidationIssue] = []
  /// `localToGlobal[part][category][local id]`.
  private var localToGlobal: [[[Int32]]] = []
  /// Keeps the cache-touching loads in `merge` from being optimised away.
  private(set) var touchSink: UInt64 = 0
  private let hasEventColumn: Bool

  init(width: Int, hasEventColumn: Bool) {
    emptyValues = Array(repeating: 0, count: width)
    self.hasEventColumn = hasEventColumn
  }

  /// Merges a decoded chunk and hands over the batch and issues it made.
  func merge(_ parts: [EventRowDecoder.Rows], of chunk: CSVChunk) -> IngestPipeline.Merged {
    merge(parts, bytes: chunk.bytes)
    rowsRead += chunk.recordCount
    defer {
      batch = EventBatch()
      issues = []
    }
    return IngestPipeline.Merged(batch: batch, issues: issues)
  }

  func merge(_ parts: [EventRowDecoder.Rows], bytes: [UInt8]) {
    // Work on locals: class properties would pay a dynamic exclusivity
    // check on every access in the loops.
    // Move them out (not copy), or the first write would copy whole tables.
    var customers = self.customers
    var vocabularies = [eventTypes, channels, stages]
    var maps = localToGlobal
    var batch = self.batch
    self.customers = Interner()
    (eventTypes, channels, stages) = (Interner(), Interner(), Interner())
    localToGlobal = []
    self.batch = EventBatch()
    var touchSink: UInt64 = 0
    defer {
      self.customers = customers
      (eventTypes, channels, stages) = (vocabularies[0], vocabularies[1], vocabularies[2])
      localToGlobal = maps
      self.batch = batch
      self.touchSink &+= touchSink
    }
    let incoming = parts.reduce(0) { $0 + $1.count }
    batch.reserveCapacity(forMore: incoming, fingerprints: parts.contains { !$0.fingerprint.isEmpty })
    while maps.count < parts.count {
      maps.append(Array(repeating: [], count: EventRowDecoder.categoryCount))
    }
    for (p, rows) in parts.enumerated() {
      issues += rows.issues
      for (f, count) in rows.emptyValues.enumerated() { emptyValues[f] += count }
      // Local ids new in this part get global ids in the order they first
      // occur in the rows (which is the order of local ids).
      // (Local ids are numbered in order of first occurrence, so interning
      // the new ones in id order is interning them in row order.)
      for c in 0..<EventRowDecoder.categoryCount {
        precondition(maps[p][c].count == Int(rows.firstNewLocal[c]), "local vocabularies out of step")
        for text in rows.newLocalStrings[c] { maps[p][c].append(vocabularies[c].intern(text, 0..<text.count)) }
      }
      let categories = rows.categories
      let (eventMap, channelMap, stageMap) = (maps[p][0], maps[p][1], maps[p][2])
      let n = rows.count
      let block = 128
      for blockStart in stride(from: 0, to: n, by: block) {
        let blockEnd = min(blockStart + block, n)
        // First touch the table slots so that their cache misses overlap.
        for i in blockStart..<blockEnd { touchSink &+= customers.touch(hash: rows.customers[i].hash) }
        for i in blockStart..<blockEnd {
          let key = rows.customers[i]
          if !rows.escapedCustomers.isEmpty, let unescaped = rows.escapedCustomers[i] {
            batch.customer.append(customers.intern(unescaped, trimmed(unescaped, 0..<unescaped.count)))
          } else {
            let start = Int(key.start)
            batch.customer.append(
              customers.intern(bytes, start..<(start + Int(key.length)), word: key.word, hash: key.hash))
          }
        }
      }
      for i in 0..<n {
        let k = i * EventRowDecoder.categoryCount
        let (event, channel, stage) = (categories[k], categories[k + 1], categories[k + 2])
        batch.event.append(hasEventColumn ? (event < 0 ? -1 : eventMap[Int(event)]) : constantEvent)
        batch.channel.append(channel < 0 ? -1 : channelMap[Int(channel)])
        batch.stage.append(stage < 0 ? -1 : stageMap[Int(stage)])
      }
      for v in rows.values {
        batch.time.append(v.time)
        batch.amount.append(v.amount)
        batch.sentiment.append(v.sentiment)
        batch.line.append(v.line)
      }
      batch.fingerprint += rows.fingerprint
    }
  }
}
