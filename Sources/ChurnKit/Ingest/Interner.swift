/// Maps byte strings (customer ids, event names) to dense integer ids 0, 1, 2, …
/// in order of first appearance, without creating a `String` per lookup.
///
/// An open-addressing hash table (linear probing, FNV-1a hashes, load ≤ ½)
/// over one contiguous byte arena, so ten million lookups cost no allocation.
///
/// ```swift
/// var ids = Interner()
/// ids.intern("C001")  // 0
/// ids.intern("C002")  // 1
/// ids.intern("C001")  // 0
/// ids.string(0)       // "C001"
/// ```
public struct Interner: Sendable {
  private var arena: [UInt8] = []
  private var bounds: [Int] = [0]  // id k spans arena[bounds[k]..<bounds[k+1]]
  private var slots: [Int32] = Array(repeating: -1, count: 64)
  private var hashes: [UInt64] = []

  public init() {}

  /// Number of distinct strings seen.
  public var count: Int { bounds.count - 1 }

  /// The id of `bytes[range]`, adding it if new.
  public mutating func intern(_ bytes: [UInt8], _ range: Range<Int>) -> Int32 {
    let hash = Interner.hash(bytes, range)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let id = slots[slot]
      if id < 0 { break }
      if hashes[Int(id)] == hash && equals(Int(id), bytes, range) { return id }
      slot = (slot + 1) & mask
    }
    let id = Int32(count)
    arena.append(contentsOf: bytes[range])
    bounds.append(arena.count)
    hashes.append(hash)
    slots[slot] = id
    if count * 2 > slots.count { grow() }
    return id
  }

  /// The id of a string, adding it if new.
  @discardableResult
  public mutating func intern(_ text: String) -> Int32 {
    let bytes = Array(text.utf8)
    return intern(bytes, 0..<bytes.count)
  }

  /// The id of `bytes[range]` if it has been seen.
  public func lookup(_ bytes: [UInt8], _ range: Range<Int>) -> Int32? {
    let hash = Interner.hash(bytes, range)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let id = slots[slot]
      if id < 0 { return nil }
      if hashes[Int(id)] == hash && equals(Int(id), bytes, range) { return id }
      slot = (slot + 1) & mask
    }
  }

  /// The id of a string if it has been seen.
  public func lookup(_ text: String) -> Int32? {
    let bytes = Array(text.utf8)
    return lookup(bytes, 0..<bytes.count)
  }

  /// The string with id `id`.
  public func string(_ id: Int32) -> String {
    String(decoding: arena[bounds[Int(id)]..<bounds[Int(id) + 1]], as: UTF8.self)
  }

  /// All strings in id order.
  public var strings: [String] { (0..<count).map { string(Int32($0)) } }

  private func equals(_ id: Int, _ bytes: [UInt8], _ range: Range<Int>) -> Bool {
    let start = bounds[id]
    guard bounds[id + 1] - start == range.count else { return false }
    var k = 0
    for i in range {
      if arena[start + k] != bytes[i] { return false }
      k += 1
    }
    return true
  }

  private mutating func grow() {
    slots = Array(repeating: -1, count: slots.count * 2)
    let mask = slots.count - 1
    for id in 0..<count {
      var slot = Int(truncatingIfNeeded: hashes[id]) & mask
      while slots[slot] >= 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(id)
    }
  }

  /// 64-bit FNV-1a, finished with a multiply-xorshift so the low bits used
  /// for slots depend on every byte.
  static func hash(_ bytes: [UInt8], _ range: Range<Int>) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for i in range { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01B3 }
    h ^= h >> 29
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ (h >> 32)
  }
}
