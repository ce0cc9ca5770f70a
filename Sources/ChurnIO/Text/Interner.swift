/// Maps byte strings (customer ids, event names) to dense integer ids 0, 1, 2, …
/// in order of first appearance, without creating a `String` per lookup.
///
/// An open-addressing hash table with linear probing and load at most ¾.
/// Each slot holds two words in the same cache line: the key itself when it
/// is at most 8 bytes long (most customer ids and category names), else its
/// hash; and the id, length and a hash fragment. A lookup of a short key
/// therefore touches one cache line and never the byte arena, which keeps
/// ten million lookups over hundreds of thousands of customers fast.
///
/// ```swift
/// var ids = Interner()
/// ids.intern("C001")  // 0
/// ids.intern("C002")  // 1
/// ids.intern("C001")  // 0
/// ids.string(0)       // "C001"
/// ```
public struct Interner: Sendable {
  @usableFromInline var arena: [UInt8] = []
  @usableFromInline var bounds: [Int] = [0]  // id k spans arena[bounds[k]..<bounds[k+1]]
  /// Two words per slot: [key-or-hash, (id + 1) << 32 | length << 24 | hash fragment].
  @usableFromInline var table: [UInt64] = Array(repeating: 0, count: 2 * 64)
  @usableFromInline var hashes: [UInt64] = []  // per id, for rehashing

  public init() {}

  /// Number of distinct strings seen.
  @inlinable public var count: Int { bounds.count - 1 }

  /// The id of `bytes[range]`, adding it if new.
  @inlinable public mutating func intern(_ bytes: [UInt8], _ range: Range<Int>) -> Int32 {
    let (word, hash) = Interner.key(bytes, range)
    return intern(bytes, range, word: word, hash: hash)
  }

  /// `intern(_:_:)` with the key word and hash already computed by
  /// `Interner.key` (on another thread, say).
  @inlinable package mutating func intern(_ bytes: [UInt8], _ range: Range<Int>, word: UInt64, hash: UInt64) -> Int32 {
    let found = probe(bytes, range, word: word, hash: hash)
    if found >= 0 { return Int32(found) }
    let slot = ~found
    let id = count
    arena.append(contentsOf: bytes[range])
    bounds.append(arena.count)
    hashes.append(hash)
    table[2 * slot] = word
    table[2 * slot + 1] = UInt64(id + 1) << 32 | Interner.meta(range, hash)
    if count * 4 > table.count / 2 * 3 { grow() }
    return Int32(id)
  }

  /// The key's id if present, else `~slot` (negative) for the empty slot
  /// where it would go. (One integer rather than a tuple with an optional:
  /// this is the hottest call of every read.)
  @inlinable @inline(__always)
  func probe(_ bytes: [UInt8], _ range: Range<Int>, word: UInt64, hash: UInt64) -> Int {
    let meta = Interner.meta(range, hash)
    let mask = table.count / 2 - 1
    var slot = Int(truncatingIfNeeded: hash >> 24) & mask
    while true {
      let info = table[2 * slot + 1]
      if info == 0 { return ~slot }
      if info & 0xFFFF_FFFF == meta && table[2 * slot] == word
        && (range.count <= 8 || equals(Int(info >> 32) - 1, bytes, range))
      {
        return Int(info >> 32) - 1
      }
      slot = (slot + 1) & mask
    }
  }

  /// The low word of a slot's info: length (mod 256) and a hash fragment.
  @inlinable @inline(__always)
  static func meta(_ range: Range<Int>, _ hash: UInt64) -> UInt64 {
    UInt64(range.count & 0xFF) << 24 | (hash & 0xFF_FFFF)
  }

  /// Loads the table slot where `hash` would be found, and returns it.
  ///
  /// Calling this for a block of keys before interning them lets the
  /// processor fetch their cache lines in parallel instead of one miss at a
  /// time (a large table does not fit in cache); it changes nothing.
  @inlinable @inline(__always)
  package func touch(hash: UInt64) -> UInt64 {
    let mask = table.count / 2 - 1
    return table[2 * (Int(truncatingIfNeeded: hash >> 24) & mask) + 1]
  }

  /// The id of a string, adding it if new.
  @discardableResult
  public mutating func intern(_ text: String) -> Int32 {
    let bytes = Array(text.utf8)
    return intern(bytes, 0..<bytes.count)
  }

  /// The id of `bytes[range]` if it has been seen.
  @inlinable public func lookup(_ bytes: [UInt8], _ range: Range<Int>) -> Int32? {
    let (word, hash) = Interner.key(bytes, range)
    let found = probe(bytes, range, word: word, hash: hash)
    return found >= 0 ? Int32(found) : nil
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

  /// The bytes of the string with id `id`.
  package func bytes(of id: Int32) -> ArraySlice<UInt8> {
    arena[bounds[Int(id)]..<bounds[Int(id) + 1]]
  }

  /// All strings in id order.
  public var strings: [String] { (0..<count).map { string(Int32($0)) } }

  /// Whether the string with id `id` is `bytes[range]`.
  @inlinable package func equals(_ id: Int, _ bytes: [UInt8], _ range: Range<Int>) -> Bool {
    let start = bounds[id]
    guard bounds[id + 1] - start == range.count else { return false }
    var k = start
    for i in range {
      if arena[k] != bytes[i] { return false }
      k += 1
    }
    return true
  }

  @usableFromInline mutating func grow() {
    let old = table
    table = Array(repeating: 0, count: old.count * 2)
    let mask = table.count / 2 - 1
    for s in 0..<(old.count / 2) where old[2 * s + 1] != 0 {
      let id = Int(old[2 * s + 1] >> 32) - 1
      var slot = Int(truncatingIfNeeded: hashes[id] >> 24) & mask
      while table[2 * slot + 1] != 0 { slot = (slot + 1) & mask }
      table[2 * slot] = old[2 * s]
      table[2 * slot + 1] = old[2 * s + 1]
    }
  }

  /// The key word (the bytes themselves, little-endian, for keys of at most
  /// 8 bytes; else the hash) and a 64-bit hash that mixes every byte and the
  /// length (word-at-a-time multiply–xorshift).
  @inlinable @inline(__always)
  package static func key(_ bytes: [UInt8], _ range: Range<Int>) -> (word: UInt64, hash: UInt64) {
    var h = UInt64(truncatingIfNeeded: range.count) &* 0x9E37_79B9_7F4A_7C15
    var i = range.lowerBound
    var first: UInt64 = 0
    var isFirst = true
    while i < range.upperBound {
      var w: UInt64 = 0
      let n = min(8, range.upperBound - i)
      for k in 0..<n { w |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
      if isFirst {
        first = w
        isFirst = false
      }
      h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 31
      i += n
    }
    h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
    h ^= h >> 32
    return (range.count <= 8 ? first : h, h)
  }
}
