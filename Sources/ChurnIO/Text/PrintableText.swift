/// Text from the data made safe to print on a terminal: control characters
/// (C0 but line feed and tab, DEL, C1) shown as `\u{1b}` instead of
/// written raw, so a value in a log cannot move the cursor, recolour the
/// screen or retitle the window.
///
/// ```swift
/// printable("vis\u{1B}[31mit")  // "vis\\u{1b}[31mit"
/// ```
package func printable(_ text: String) -> String {
  guard text.unicodeScalars.contains(where: isControl) else { return text }
  var out = ""
  out.reserveCapacity(text.utf8.count + 16)
  for scalar in text.unicodeScalars {
    if isControl(scalar) {
      out += "\\u{\(String(scalar.value, radix: 16))}"
    } else {
      out.unicodeScalars.append(scalar)
    }
  }
  return out
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
  let v = scalar.value
  return (v < 0x20 && v != 0x0A && v != 0x09) || v == 0x7F || (0x80...0x9F).contains(v)
}

/// What makes `bytes[range]` unusable as an identifier, if anything: a NUL
/// byte, or bytes that are not UTF-8 (ASCII, the common case, is checked
/// byte by byte first).
package enum IdentifierProblem: Sendable {
  case nulByte
  case notUTF8

  package init?(_ bytes: [UInt8], _ range: Range<Int>) {
    var ascii = true
    for i in range {
      let b = bytes[i]
      if b == 0 {
        self = .nulByte
        return
      }
      if b >= 0x80 { ascii = false }
    }
    guard !ascii, String(validating: bytes[range], as: UTF8.self) == nil else { return nil }
    self = .notUTF8
  }
}
