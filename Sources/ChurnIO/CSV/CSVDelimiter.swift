/// How fields are separated in a delimited text file: one byte, runs of
/// spaces and tabs, or found from the header line.
public enum CSVDelimiter: Sendable, Equatable, CustomStringConvertible {
  /// The most frequent of comma, tab, semicolon and pipe in the header
  /// line (outside quotes); runs of whitespace when it has none of them but
  /// several words; a comma otherwise.
  case auto
  case byte(UInt8)
  /// Runs of spaces and tabs separate fields; leading and trailing ones are
  /// ignored (quotes are not special).
  case whitespace

  /// Parses comma, tab, semicolon, pipe, whitespace or auto (or the
  /// character itself).
  public init?(name: String) {
    switch name.lowercased() {
    case "auto": self = .auto
    case "comma", ",": self = .byte(UInt8(ascii: ","))
    case "tab", "\t", "\\t": self = .byte(UInt8(ascii: "\t"))
    case "semicolon", ";": self = .byte(UInt8(ascii: ";"))
    case "pipe", "|": self = .byte(UInt8(ascii: "|"))
    case "whitespace", "space", " ": self = .whitespace
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .auto: "auto"
    case .whitespace: "whitespace"
    case .byte(let b):
      switch b {
      case UInt8(ascii: ","): "comma"
      case UInt8(ascii: "\t"): "tab"
      case UInt8(ascii: ";"): "semicolon"
      case UInt8(ascii: "|"): "pipe"
      default: String(UnicodeScalar(b))
      }
    }
  }

  /// The delimiter of a header line (the bytes up to its line feed).
  static func detect<C: Collection<UInt8>>(headerLine line: C) -> CSVDelimiter {
    let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: "\t"), UInt8(ascii: ";"), UInt8(ascii: "|")]
    var counts = [Int](repeating: 0, count: candidates.count)
    var quoted = false
    var spaceBetweenWords = false
    var previous: UInt8 = UInt8(ascii: " ")
    for b in line {
      if b == UInt8(ascii: "\"") { quoted.toggle() }
      if !quoted, let k = candidates.firstIndex(of: b) { counts[k] += 1 }
      if !quoted && b != UInt8(ascii: " ") && previous == UInt8(ascii: " ") && b != UInt8(ascii: "\r") {
        spaceBetweenWords = true
      }
      previous = b
    }
    let best = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) }!
    if counts[best] > 0 { return .byte(candidates[best]) }
    let words = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") })
    return spaceBetweenWords && words.count > 1 ? .whitespace : .byte(UInt8(ascii: ","))
  }
}

/// What a file that is not delimited text looks like, from its first bytes:
/// a name and how to turn it into CSV, or nil for text.
enum BinaryFormat {
  static func recognise<C: Collection<UInt8>>(_ start: C, path: String) -> (kind: String, fix: String)?
  where C.Index == Int {
    let bytes = Array(start.prefix(4096))
    func startsWith(_ magic: [UInt8]) -> Bool {
      bytes.count >= magic.count && Array(bytes.prefix(magic.count)) == magic
    }
    let duckdb = { (reader: String) in
      "convert it to CSV first, e.g. duckdb -c \"COPY (SELECT * FROM \(reader)) TO 'events.csv' (HEADER)\""
    }
    if startsWith(Array("PAR1".utf8)) { return ("a Parquet file", duckdb("read_parquet('\(path)')")) }
    if startsWith([0x50, 0x4B, 0x03, 0x04]) {
      return (
        "a ZIP archive (an Excel .xlsx workbook, or zipped files)",
        "save the sheet as CSV, or unzip it; with DuckDB's spatial or excel extension: "
          + duckdb("read_xlsx('\(path)')")
      )
    }
    if startsWith([0xD0, 0xCF, 0x11, 0xE0]) {
      return ("an old Excel (.xls) workbook", "save the sheet as CSV (File → Save As → CSV)")
    }
    if startsWith(Array("SQLite format 3".utf8)) {
      return (
        "an SQLite database", "read a table of it as sqlite:\(path)?table=NAME (e.g. sqlite:\(path)?table=events)"
      )
    }
    if startsWith([0x42, 0x5A, 0x68]) {
      return ("a bzip2 archive", "decompress it first (bunzip2), or recompress it with gzip")
    }
    if startsWith([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
      return ("an xz archive", "decompress it first (unxz), or recompress it with gzip")
    }
    if startsWith([0x28, 0xB5, 0x2F, 0xFD]) {
      return ("a zstd archive", "decompress it first (unzstd), or recompress it with gzip")
    }
    // UTF-16 text (Excel's "Unicode text", PowerShell's default): a byte
    // order mark, or ASCII with every other byte NUL.
    let utf16 = { (encoding: String) in
      ("UTF-16 text", "convert it to UTF-8, e.g. iconv -f \(encoding) -t utf-8 '\(path)' > events.csv")
    }
    if startsWith([0xFF, 0xFE]) || startsWith([0xFE, 0xFF]) { return utf16("utf-16") }
    let pairs = bytes.prefix(64)
    if pairs.count >= 8 {
      if stride(from: 1, to: pairs.count, by: 2).allSatisfy({ pairs[$0] == 0 }) { return utf16("utf-16le") }
      if stride(from: 0, to: pairs.count, by: 2).allSatisfy({ pairs[$0] == 0 }) { return utf16("utf-16be") }
    }
    if bytes.contains(0) { return ("a binary file (it holds NUL bytes)", "export the data as CSV text (UTF-8)") }
    return nil
  }
}
