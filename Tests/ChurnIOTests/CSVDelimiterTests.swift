import ChurnTestSupport
import Testing

@testable import ChurnIO

/// Delimiters found from the header line, whitespace-separated text read as
/// fields whatever the chunk boundaries, and binary files refused by name.
struct CSVDelimiterTests {
  func records(_ text: String, delimiter: CSVDelimiter = .auto, chunkSize: Int = 1 << 20) throws -> [[String]] {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var csv = try CSVReader(path: dir.write("in.txt", text), delimiter: delimiter, chunkSize: chunkSize)
    var rows = [try csv.readHeader()]
    while try csv.nextChunk() {
      for r in 0..<csv.chunk.recordCount {
        rows.append((0..<csv.chunk.fieldCount(record: r)).map { csv.chunk.string(record: r, field: $0) })
      }
    }
    return rows
  }

  static let expected = [["id", "date", "amount"], ["a", "2024-01-01", "1.5"], ["b", "2024-01-02", "2"]]

  @Test(arguments: [
    "id,date,amount\na,2024-01-01,1.5\nb,2024-01-02,2\n",
    "id\tdate\tamount\na\t2024-01-01\t1.5\nb\t2024-01-02\t2\n",
    "id;date;amount\na;2024-01-01;1.5\nb;2024-01-02;2\n",
    "id|date|amount\r\na|2024-01-01|1.5\r\nb|2024-01-02|2\r\n",
    "  id   date  amount\r\n a  2024-01-01\t 1.5  \r\n\tb 2024-01-02 2\n",
    "\u{FEFF}id date amount\na 2024-01-01 1.5\nb 2024-01-02 2",
  ])
  func theHeaderLineTellsTheDelimiter(_ text: String) throws {
    #expect(try records(text) == Self.expected)
  }

  @Test func whitespaceRunsAcrossChunkBoundariesAreOneSeparator() throws {
    var text = "customer   date  amount\n"  // the header decides: spaces only
    var expected = [["customer", "date", "amount"]]
    var rng = SplitMix64(seed: 3)
    for i in 0..<300 {
      let gap = { String(repeating: rng.next() % 2 == 0 ? " " : "\t", count: 1 + Int(rng.next() % 5)) }
      text += gap() + "c\(i)" + gap() + "2024-01-\(10 + i % 9)" + gap() + "\(i).5" + (i % 3 == 0 ? gap() : "") + "\n"
      expected.append(["c\(i)", "2024-01-\(10 + i % 9)", "\(i).5"])
    }
    for size in [16, 17, 31, 64, 1 << 12] {
      #expect(try records(text, chunkSize: size) == expected, "chunk size \(size)")
    }
  }

  @Test func anExplicitDelimiterWins() throws {
    // A comma inside a semicolon-separated file stays in its field.
    let rows = try records("id;note\na;x,y\n", delimiter: .byte(UInt8(ascii: ";")))
    #expect(rows == [["id", "note"], ["a", "x,y"]])
    #expect(CSVDelimiter(name: "tab") == .byte(9))
    #expect(CSVDelimiter(name: "whitespace") == .whitespace)
    #expect(CSVDelimiter(name: "colon") == nil)
  }

  @Test func aSingleColumnFileStaysOneColumn() throws {
    #expect(try records("id\na\nb\n") == [["id"], ["a"], ["b"]])
  }

  @Test(arguments: [
    ([UInt8]("PAR1".utf8) + [0, 1, 2], "looks like a Parquet file"),
    ([0x50, 0x4B, 0x03, 0x04, 0, 0], "looks like a ZIP archive"),
    ([0xD0, 0xCF, 0x11, 0xE0, 0xA1], "looks like an old Excel (.xls) workbook"),
    ([UInt8]("id,date\n".utf8) + [0, 0, 0], "looks like a binary file"),
  ])
  func binaryFilesAreNamed(_ bytes: [UInt8], _ phrase: String) throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var csv = try CSVReader(path: dir.write("data.bin", bytes: bytes))
    do {
      _ = try csv.readHeader()
      Issue.record("a binary file was read as text")
    } catch {
      #expect(error.description.contains(phrase), "\(error)")
      #expect(error.description.contains("data.bin"))
    }
  }
}
