import CZlib

/// A zlib inflate stream for gzip data, including files made of several
/// concatenated gzip members (as `cat a.gz b.gz` produces).
@safe final class GzipInflater {
  private let path: String
  private var stream = unsafe z_stream()
  private var input = [UInt8](repeating: 0, count: 1 << 18)
  private var inputStart = 0
  private var inputEnd = 0
  private var finished = false
  private var inputExhausted = false

  init(path: String) throws(ByteStreamError) {
    self.path = path
    // 15 + 16: a gzip wrapper with the largest window.
    let status = unsafe churnkit_inflateInit2(&stream, 15 + 16)
    if status != Z_OK { throw .corruptCompressedData(path: path, reason: "zlib could not start (code \(status))") }
  }

  deinit {
    unsafe _ = inflateEnd(&stream)
  }

  /// Inflates into `buffer[start...]`, pulling compressed bytes from `refill`.
  func inflate(
    into buffer: inout [UInt8], from start: Int,
    refill: (inout [UInt8]) throws(ByteStreamError) -> Int
  ) throws(ByteStreamError) -> Int {
    var produced = 0
    while produced == 0 && !finished {
      if inputStart == inputEnd && !inputExhausted {
        inputEnd = try refill(&input)
        inputStart = 0
        if inputEnd == 0 { inputExhausted = true }
      }
      if inputStart == inputEnd && inputExhausted {
        if streamStarted { throw .corruptCompressedData(path: path, reason: "data ends inside a gzip member") }
        finished = true
        break
      }
      let (status, consumed, written) = step(into: &buffer, outputStart: start + produced)
      inputStart += consumed
      produced += written
      streamStarted = true
      switch status {
      case Z_OK, Z_BUF_ERROR:
        continue
      case Z_STREAM_END:
        streamStarted = false
        unsafe _ = inflateReset(&stream)
        if inputStart == inputEnd && !inputExhausted {
          inputEnd = try refill(&input)
          inputStart = 0
          if inputEnd == 0 { inputExhausted = true }
        }
        if inputStart == inputEnd && inputExhausted { finished = true }
      default:
        let message = unsafe stream.msg.map { unsafe String(cString: $0) } ?? "zlib error \(status)"
        throw .corruptCompressedData(path: path, reason: message)
      }
    }
    return produced
  }

  private var streamStarted = false

  /// One call to zlib's `inflate` over the current input window.
  private func step(into buffer: inout [UInt8], outputStart: Int) -> (Int32, Int, Int) {
    let available = inputEnd - inputStart
    let room = buffer.count - outputStart
    var status: Int32 = 0
    unsafe input.withUnsafeMutableBufferPointer { inBuffer in
      unsafe buffer.withUnsafeMutableBufferPointer { outBuffer in
        unsafe stream.next_in = inBuffer.baseAddress! + inputStart
        unsafe stream.avail_in = UInt32(available)
        unsafe stream.next_out = outBuffer.baseAddress! + outputStart
        unsafe stream.avail_out = UInt32(room)
        status = unsafe CZlib.inflate(&stream, Z_NO_FLUSH)
        unsafe stream.next_in = nil
        unsafe stream.next_out = nil
      }
    }
    let consumed = available - Int(unsafe stream.avail_in)
    let written = room - Int(unsafe stream.avail_out)
    return (status, consumed, written)
  }
}
