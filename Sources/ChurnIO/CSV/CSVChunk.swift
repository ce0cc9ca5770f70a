import ByteStreams

/// The complete records of one chunk of a CSV file, as byte ranges into the
/// chunk's bytes.
///
/// Field `f` of record `r` is `bytes[fieldStart…fieldEnd)`, without its
/// surrounding quotes; a quoted field that contains doubled quotes is flagged
/// and unescaped only when asked for.
public struct CSVChunk: Sendable {
  /// The raw bytes the ranges point into (the reader's buffer).
  public internal(set) var bytes: [UInt8] = []
  /// One word per field: start << 32 | end << 1 | has-doubled-quotes.
  private var fields: [UInt64] = []
  private var recordOffsets: [Int32] = [0]
  private var recordLines: [Int] = []
  /// Added to `recordLines`: a chunk parsed apart from the ones before it
  /// counts its lines from 0 and learns where it starts afterwards.
  var lineBase = 0
  /// Records whose quoting was malformed, with a description; they still
  /// appear in the chunk so callers can report them in order.
  public private(set) var malformed: [Int: String] = [:]

  /// Number of complete records in the chunk.
  public var recordCount: Int { recordLines.count }

  /// The physical line (1-based) on which record `r` starts.
  public func line(record r: Int) -> Int { lineBase + recordLines[r] }

  /// The first record whose bytes (first field's start to last field's
  /// end) number more than `limit`, if any.
  public func firstRecord(longerThan limit: Int) -> Int? {
    for r in 0..<recordCount where fieldCount(record: r) > 0 {
      let span =
        fieldRange(record: r, field: fieldCount(record: r) - 1).upperBound
        - fieldRange(record: r, field: 0).lowerBound
      if span > limit { return r }
    }
    return nil
  }

  /// Number of fields in record `r`.
  public func fieldCount(record r: Int) -> Int { Int(recordOffsets[r + 1] - recordOffsets[r]) }

  /// The raw byte range of a field (quotes removed, doubled quotes kept).
  @inline(__always)
  public func fieldRange(record r: Int, field f: Int) -> Range<Int> {
    let word = fields[Int(recordOffsets[r]) + f]
    return Int(word >> 32)..<Int((word & 0xFFFF_FFFF) >> 1)
  }

  /// Whether the field holds doubled quotes that `fieldBytes` will unescape.
  @inline(__always)
  public func hasEscapedQuotes(record r: Int, field f: Int) -> Bool {
    fields[Int(recordOffsets[r]) + f] & 1 != 0
  }

  /// The field's bytes with doubled quotes unescaped.
  public func fieldBytes(record r: Int, field f: Int) -> ArraySlice<UInt8> {
    let range = fieldRange(record: r, field: f)
    guard hasEscapedQuotes(record: r, field: f) else { return bytes[range] }
    var out: [UInt8] = []
    out.reserveCapacity(range.count)
    var i = range.lowerBound
    while i < range.upperBound {
      out.append(bytes[i])
      i += bytes[i] == quoteByte ? 2 : 1
    }
    return out[...]
  }

  /// The field as a `String` (invalid UTF-8 is repaired with U+FFFD).
  public func string(record r: Int, field f: Int) -> String {
    String(decoding: fieldBytes(record: r, field: f), as: UTF8.self)
  }

  mutating func reset() {
    fields.removeAll(keepingCapacity: true)
    recordOffsets.removeAll(keepingCapacity: true)
    recordOffsets.append(0)
    recordLines.removeAll(keepingCapacity: true)
    malformed.removeAll()
    lineBase = 0
  }

  /// What a parse pass reached.
  struct ParseOutcome {
    /// Offset of the first byte not part of a complete record.
    var consumed: Int
    /// Line number at `consumed`.
    var nextLine: Int
    /// Set when the data ended inside a quoted field: the line it opened on.
    var unterminatedQuoteLine: Int? = nil
    /// Whether any field was quoted (a quoted field may hold line breaks,
    /// so bytes cut at a line break may not start a record).
    var sawQuote = false
  }

  /// Parses complete records from `bytes[start..<end]` and appends them.
  ///
  /// A record cut off by the end of the bytes is left unparsed (unless
  /// `isFinal`), so the reader can read more and try again.
  mutating func parse(
    from start: Int, to end: Int, isFinal: Bool, firstLine: Int, delimiter: UInt8, maxRecords: Int
  ) -> ParseOutcome {
    // Work on locals (no closures capture them, so they stay in registers).
    var fields = self.fields
    var recordOffsets = self.recordOffsets
    var recordLines = self.recordLines
    var malformed = self.malformed
    self.fields = []
    self.recordOffsets = []
    self.recordLines = []
    defer {
      self.fields = fields
      self.recordOffsets = recordOffsets
      self.recordLines = recordLines
      self.malformed = malformed
    }
    let bytesCopy = bytes  // shares storage; lets `self` be mutated below
    let data = bytesCopy.span
    let newline = UInt8(ascii: "\n")
    let carriageReturn = UInt8(ascii: "\r")
    // Where unquoted fields end, found for the whole range at once.
    let separators = SeparatorMasks(bytesCopy, from: start, to: end, delimiter: delimiter)
    // Every field but the last ends at a separator, and every record but the
    // last at a line break: room for all of them, written by index (no
    // capacity or uniqueness check per field), trimmed to what was parsed at
    // the end.
    let room = separators.count + 1
    let recordRoom = separators.lineBreaks + 1
    let fieldsBase = fields.count
    let recordsBase = recordLines.count
    fields.append(contentsOf: repeatElement(0, count: room))
    recordOffsets.append(contentsOf: repeatElement(0, count: recordRoom))
    recordLines.append(contentsOf: repeatElement(0, count: recordRoom))
    var fieldCount = fieldsBase
    var recordCount = recordsBase
    var pos = start
    var line = firstLine
    var sawQuote = false
    var outcome: ParseOutcome?

    do {
      var fieldsOut = fields.mutableSpan
      var offsetsOut = recordOffsets.mutableSpan
      var linesOut = recordLines.mutableSpan
      while pos < end && recordCount - recordsBase < maxRecords {
        let recordStart = pos
        let recordLine = line
        let fieldsBefore = fieldCount
        var malformedReason: String?
        var cutOff = false  // the bytes end before the record does
        var unterminated = false

        fieldLoop: while true {
          if pos < end && data[pos] == quoteByte {
            // Quoted field: runs to the next quote not followed by another.
            sawQuote = true
            var p = pos + 1
            var hasEscapes = false
            var fieldEnd = -1
            while true {
              if p >= end {
                unterminated = true
                break fieldLoop
              }
              let b = data[p]
              if b == quoteByte {
                if p + 1 >= end && !isFinal {
                  cutOff = true  // cannot tell a closing quote from a doubled one yet
                  break fieldLoop
                }
                if p + 1 < end && data[p + 1] == quoteByte {
                  hasEscapes = true
                  p += 2
                  continue
                }
                fieldEnd = p
                p += 1
                break
              }
              if b == newline { line += 1 }
              p += 1
            }
            fieldsOut[fieldCount] = UInt64(pos + 1) << 32 | UInt64(fieldEnd) << 1 | (hasEscapes ? 1 : 0)
            fieldCount += 1
            pos = p
            if pos < end && data[pos] != delimiter && data[pos] != newline && data[pos] != carriageReturn {
              if malformedReason == nil { malformedReason = "unexpected character after a closing quote" }
              pos = separators.next(from: pos, limit: end)
            }
          } else {
            let p = separators.next(from: pos, limit: end)
            fieldsOut[fieldCount] = UInt64(pos) << 32 | UInt64(p) << 1
            fieldCount += 1
            pos = p
          }
          // After a field: a delimiter, a line ending, or the end of the data.
          if pos >= end {
            cutOff = !isFinal
            break fieldLoop
          }
          let b = data[pos]
          if b == delimiter {
            pos += 1
            continue fieldLoop
          }
          if b == carriageReturn {
            if pos + 1 >= end && !isFinal {
              cutOff = true
              break fieldLoop
            }
            pos += (pos + 1 < end && data[pos + 1] == newline) ? 2 : 1
          } else {
            pos += 1
          }
          line += 1
          break fieldLoop
        }

        if unterminated && isFinal {
          outcome = ParseOutcome(consumed: end, nextLine: line, unterminatedQuoteLine: recordLine, sawQuote: true)
          break
        }
        if cutOff || unterminated {
          fieldCount = fieldsBefore
          outcome = ParseOutcome(consumed: recordStart, nextLine: recordLine, sawQuote: sawQuote)
          break
        }
        // A blank line is not a record.
        if fieldCount == fieldsBefore + 1
          && fieldsOut[fieldsBefore] == UInt64(recordStart) << 32 | UInt64(recordStart) << 1
        {
          fieldCount = fieldsBefore
          continue
        }
        if let malformedReason { malformed[recordCount] = malformedReason }
        offsetsOut[recordCount + 1] = Int32(fieldCount)
        linesOut[recordCount] = recordLine
        recordCount += 1
      }
    }
    fields.removeSubrange(fieldCount...)
    recordOffsets.removeSubrange((recordCount + 1)...)
    recordLines.removeSubrange(recordCount...)
    return outcome ?? ParseOutcome(consumed: pos, nextLine: line, sawQuote: sawQuote)
  }
}

/// The CSV quote character.
let quoteByte = UInt8(ascii: "\"")
