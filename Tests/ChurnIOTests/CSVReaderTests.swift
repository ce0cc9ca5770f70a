import ChurnIO
import ChurnTestSupport
import Testing

/// Reads every record of `text` with a given chunk size.
func readAll(_ text: String, chunkSize: Int = 1 << 20) throws -> (records: [[String]], lines: [Int]) {
  let dir = try TemporaryDirectory()
  defer { dir.remove() }
  return try readAll(path: dir.write("in.csv", text), chunkSize: chunkSize)
}

func readAll(path: String, chunkSize: Int = 1 << 20) throws -> (records: [[String]], lines: [Int]) {
  var csv = try CSVReader(path: path, chunkSize: chunkSize)
  var records: [[String]] = []
  var lines: [Int] = []
  while try csv.nextChunk() {
    let chunk = csv.chunk
    for r in 0..<chunk.recordCount {
      records.append((0..<chunk.fieldCount(record: r)).map { chunk.string(record: r, field: $0) })
      lines.append(chunk.line(record: r))
    }
  }
  return (records, lines)
}

/// Every record of the file read with `nextPieces(parts:)`, pieces in order,
/// and how many of the pieces were plain.
func readAllInPieces(
  path: String, chunkSize: Int, parts: Int, concurrently: Bool = true
) throws -> (records: [[String]], lines: [Int], plainPieces: Int) {
  var csv = try CSVReader(path: path, chunkSize: chunkSize)
  var records: [[String]] = []
  var lines: [Int] = []
  var plainPieces = 0
  while true {
    switch try csv.nextPieces(parts: parts, concurrently: concurrently) {
    case .parsed(let pieces):
      if pieces.isEmpty { return (records, lines, plainPieces) }
      for chunk in pieces {
        for r in 0..<chunk.recordCount {
          records.append((0..<chunk.fieldCount(record: r)).map { chunk.string(record: r, field: $0) })
          lines.append(chunk.line(record: r))
        }
      }
    case .plain(let pieces):
      // What a plain piece promises, split here the simple way: records
      // end at line feeds, fields at commas, and a line feed alone is blank.
      plainPieces += pieces.count
      for piece in pieces {
        var line = piece.firstLine
        for text in piece.bytes[piece.range].split(separator: 0x0A, omittingEmptySubsequences: false) {
          defer { line += 1 }
          if text.isEmpty { continue }
          records.append(
            text.split(separator: 0x2C, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) })
          lines.append(line)
        }
        // (Splitting a piece that ends in a line feed leaves one empty
        // part after it: no record.)
      }
    }
  }
}

struct CSVReaderTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let records: [[String]]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "plain", input: "a,b\n1,2\n", records: [["a", "b"], ["1", "2"]]),
    Case(name: "no final newline", input: "a,b\n1,2", records: [["a", "b"], ["1", "2"]]),
    Case(name: "CRLF", input: "a,b\r\n1,2\r\n", records: [["a", "b"], ["1", "2"]]),
    Case(name: "lone CR", input: "a,b\r1,2\r", records: [["a", "b"], ["1", "2"]]),
    Case(name: "quoted comma", input: "a,\"x,y\"\n", records: [["a", "x,y"]]),
    Case(name: "doubled quotes", input: "\"say \"\"hi\"\"\",b\n", records: [["say \"hi\"", "b"]]),
    Case(name: "embedded newline", input: "\"line1\nline2\",z\nq,r\n", records: [["line1\nline2", "z"], ["q", "r"]]),
    Case(name: "embedded CRLF", input: "\"a\r\nb\",c\r\n", records: [["a\r\nb", "c"]]),
    Case(name: "empty fields", input: ",,\n,\n", records: [["", "", ""], ["", ""]]),
    Case(name: "quoted empty", input: "\"\",x\n", records: [["", "x"]]),
    Case(name: "quoted empty alone", input: "\"\"\n", records: [[""]]),
    Case(name: "blank lines skipped", input: "a\n\n\nb\n", records: [["a"], ["b"]]),
    Case(name: "UTF-8 BOM", input: "\u{FEFF}id,t\n1,2\n", records: [["id", "t"], ["1", "2"]]),
    Case(name: "UTF-8 content", input: "café,日本\n", records: [["café", "日本"]]),
    Case(name: "quote inside unquoted field", input: "ab\"c,d\n", records: [["ab\"c", "d"]]),
    Case(name: "trailing delimiter", input: "a,b,\n", records: [["a", "b", ""]]),
    Case(name: "quoted field at end of file", input: "a,\"b\"", records: [["a", "b"]]),
  ]

  @Test(arguments: cases)
  func parses(_ c: Case) throws {
    #expect(try readAll(c.input).records == c.records)
  }

  /// Every chunk size splits records, quotes, doubled quotes and CRLF pairs at
  /// every possible place; the result must not change.
  @Test(arguments: cases)
  func chunkBoundariesDoNotMatter(_ c: Case) throws {
    let whole = try readAll(c.input).records
    for size in [16, 17, 19, 23] {
      #expect(try readAll(c.input, chunkSize: size).records == whole, "chunk size \(size)")
    }
  }

  /// Pieces cut at line breaks and parsed at once hold the same records on
  /// the same lines as one-piece parsing: with CRLF, blank lines, a BOM, no
  /// final newline, a record longer than the buffer, and quoted fields
  /// (which hold line breaks and send the reader back to one piece).
  @Test(arguments: ["plain", "crlf", "quoted", "quoted late"])
  func piecesParsedAtOnceMatchOnePiece(_ variant: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let newline = variant == "crlf" ? "\r\n" : "\n"
    var text = "\u{FEFF}id,a,b" + newline
    for i in 0..<40_000 {
      if i % 997 == 0 { text += newline }  // blank line
      if i == 20_000 { text += "long," + String(repeating: "y", count: 300_000) + ",1" + newline }
      let quoted = (variant == "quoted" && i % 50 == 7) || (variant == "quoted late" && i == 39_000)
      text += quoted ? "c\(i),\"x\ny, \"\"z\"\"\",\(i % 7)" + newline : "c\(i),\(i * 31 % 1000),\(i % 7)" + newline
    }
    text += "last,1,2"  // no final newline
    let path = try dir.write("p.csv", text)
    let whole = try readAll(path: path, chunkSize: 1 << 17)
    #expect(whole.records.count == 40_003)
    for parts in [2, 3, 4, -3] {
      // (−3: three pieces parsed one after another on this thread.)
      let pieces = try readAllInPieces(path: path, chunkSize: 1 << 17, parts: abs(parts), concurrently: parts > 0)
      // The first difference, not two 40,000-element arrays, if any.
      #expect(pieces.records.count == whole.records.count, "\(parts) parts")
      let common = min(pieces.records.count, whole.records.count)
      let record = (0..<common).first { pieces.records[$0] != whole.records[$0] }
      #expect(record == nil, "\(parts) parts: record \(record ?? -1) differs")
      let line = (0..<common).first { pieces.lines[$0] != whole.lines[$0] }
      #expect(line == nil, "\(parts) parts: line of record \(line ?? -1) differs")
      // Plain pieces (no quote, no carriage return) until a quote is met.
      #expect((pieces.plainPieces > 0) == (variant != "crlf" && variant != "quoted"), "\(parts) parts")
    }
  }

  @Test func recordsLongerThanTheBufferGrowIt() throws {
    let long = String(repeating: "x", count: 1000)
    let result = try readAll("id,\"\(long)\"\n2,\"\(long),\"\"q\"\"\"\n", chunkSize: 16)
    #expect(result.records == [["id", long], ["2", long + ",\"q\""]])
  }

  @Test func lineNumbersCountPhysicalLines() throws {
    let result = try readAll("h\n\"a\nb\"\nc\n\nd\n", chunkSize: 16)
    #expect(result.records == [["h"], ["a\nb"], ["c"], ["d"]])
    #expect(result.lines == [1, 2, 4, 6])
  }

  @Test func unterminatedQuoteNamesItsLine() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("bad.csv", "a,b\n1,\"oops\n2,3\n")
    #expect(throws: IngestError.unterminatedQuote(path: path, line: 2)) {
      try readAll(path: path, chunkSize: 16)
    }
  }

  @Test func characterAfterClosingQuoteIsFlagged() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var csv = try CSVReader(path: dir.write("q.csv", "\"ab\"c,d\nok,1\n"))
    #expect(try csv.nextChunk())
    #expect(csv.chunk.recordCount == 2)
    #expect(csv.chunk.malformed[0] == "unexpected character after a closing quote")
    #expect(csv.chunk.malformed[1] == nil)
  }

  @Test func headerOfEmptyFileIsAnError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("empty.csv", "")
    var csv = try CSVReader(path: path)
    #expect(throws: IngestError.emptyFile(path: path)) { try csv.readHeader() }
  }

  @Test func missingFileIsAnError() {
    #expect(throws: IngestError.self) { try CSVReader(path: "/nonexistent/x.csv") }
  }

  @Test func readsGzipLikePlainText() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "id,value\n"
    for i in 0..<5000 { text += "c\(i),\"v,\(i)\"\n" }
    let path = try dir.write("e.csv", text)
    let plain = try readAll(path: path, chunkSize: 4096)
    try runProgram("/bin/gzip", ["-k", path])
    let gz = try readAll(path: path + ".gz", chunkSize: 4096)
    #expect(gz.records.count == 5001)
    #expect(gz.records == plain.records)
    #expect(gz.lines == plain.lines)
  }

  @Test func concatenatedGzipMembersAreOneStream() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let a = try dir.write("a.csv", "x\n1\n")
    let b = try dir.write("b.csv", "2\n3\n")
    try runProgram("/bin/gzip", [a, b])
    let joined =
      try String(contentsOfFile: a + ".gz", encoding: .isoLatin1)
      + String(contentsOfFile: b + ".gz", encoding: .isoLatin1)
    let path = try dir.write("ab.csv.gz", bytes: Array(joined.unicodeScalars.map { UInt8($0.value) }))
    #expect(try readAll(path: path).records == [["x"], ["1"], ["2"], ["3"]])
  }

  @Test func truncatedGzipIsAnError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = ""
    for i in 0..<2000 { text += "row \(i)\n" }
    let path = try dir.write("t.csv", text)
    try runProgram("/bin/gzip", [path])
    let bytes = Array(
      try String(contentsOfFile: path + ".gz", encoding: .isoLatin1).unicodeScalars.map { UInt8($0.value) })
    let cut = try dir.write("cut.csv.gz", bytes: Array(bytes[0..<(bytes.count / 2)]))
    #expect(throws: IngestError.self) { try readAll(path: cut) }
  }
}

#if canImport(Foundation)
  import Foundation
#endif

/// A record that never ends (a quote never closed, a gzip bomb of one
/// field) stops at a bound instead of taking the machine's memory, located
/// at the line where it starts.
struct RecordBoundTests {
  @Test func aRecordPastTheBoundIsALocatedError() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("long.csv", "a,b\n1,2\n3,\"" + String(repeating: "x", count: 3 << 20))
    var csv = try CSVReader(path: path, chunkSize: 1 << 16)
    #expect(csv.maxRecordBytes == 64 << 20)
    csv.maxRecordBytes = 2 << 20
    #expect(
      throws: IngestError.badField(
        path: path, line: 3, column: nil,
        problem:
          "a record runs past 2 MiB (a quote never closed? a binary file?); if rows this long are real, raise the limit with --max-row-mib"
      )
    ) { while try csv.nextChunk() {} }
  }

  /// A complete record longer than the bound, read whole in one buffer, is
  /// refused too, at its line, on both the one-piece and the many-piece path.
  @Test func aCompleteRecordPastTheBoundIsRefusedWhereverItIsRead() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let rows = (0..<20_000).map { "\($0),short" }.joined(separator: "\n")
    let path = try dir.write("long.csv", "a,b\n" + rows + "\n7," + String(repeating: "x", count: 5000) + "\n8,y\n")
    for parts in [1, 3] {
      var csv = try CSVReader(path: path, chunkSize: 1 << 20)
      csv.maxRecordBytes = 4096
      _ = try csv.readHeader()
      do {
        while try !csv.nextChunks(parts: parts, concurrently: false).isEmpty {}
        Issue.record("a 5,002-byte record passed a 4,096-byte bound (\(parts) parts)")
      } catch {
        #expect("\(error)".contains("long.csv:20002: a record runs past 4096 bytes"))
      }
    }
  }
}
