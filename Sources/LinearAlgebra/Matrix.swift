/// A dense matrix of `Double`, stored column by column (column-major), the
/// order BLAS and LAPACK expect.
///
/// Element (i, j) lives at `storage[i + j * rows]`. The type is a value: copies
/// are cheap until written (copy-on-write through `Array`).
///
/// ```swift
/// let a = Matrix(rowMajor: [[4, 2], [2, 3]])
/// a[0, 1]  // 2
/// ```
public struct Matrix: Sendable, Equatable, CustomStringConvertible {
  /// Number of rows.
  public let rows: Int
  /// Number of columns.
  public let columns: Int
  /// The elements in column-major order: `storage[i + j * rows]` is (i, j).
  public var storage: [Double]

  /// A `rows × columns` matrix with every element set to `value`.
  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
    self.rows = rows
    self.columns = columns
    self.storage = Array(repeating: value, count: rows * columns)
  }

  /// A matrix over existing column-major storage.
  public init(rows: Int, columns: Int, columnMajor storage: [Double]) {
    precondition(storage.count == rows * columns, "storage has \(storage.count) elements, expected \(rows * columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
  }

  /// A matrix from a list of rows, the way matrices are written on paper.
  public init(rowMajor rowList: [[Double]]) {
    let m = rowList.count
    let n = rowList.first?.count ?? 0
    precondition(rowList.allSatisfy { $0.count == n }, "all rows must have the same length")
    var values = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n { values[i + j * m] = rowList[i][j] }
    }
    self.init(rows: m, columns: n, columnMajor: values)
  }

  /// The `n × n` identity matrix.
  public static func identity(_ n: Int) -> Matrix {
    var result = Matrix(rows: n, columns: n)
    for i in 0..<n { result.storage[i + i * n] = 1 }
    return result
  }

  /// The element in row `i`, column `j`.
  @inlinable
  public subscript(i: Int, j: Int) -> Double {
    get { storage[i + j * rows] }
    set { storage[i + j * rows] = newValue }
  }

  /// Column `j` as an array.
  public func column(_ j: Int) -> [Double] {
    Array(storage[(j * rows)..<((j + 1) * rows)])
  }

  /// Row `i` as an array.
  public func row(_ i: Int) -> [Double] {
    (0..<columns).map { storage[i + $0 * rows] }
  }

  /// The rows of the matrix, for printing and comparisons.
  public var rowList: [[Double]] { (0..<rows).map(row) }

  /// The transpose.
  public func transposed() -> Matrix {
    var result = Matrix(rows: columns, columns: rows)
    for j in 0..<columns {
      for i in 0..<rows { result.storage[j + i * columns] = storage[i + j * rows] }
    }
    return result
  }

  /// Whether the matrix has as many rows as columns.
  public var isSquare: Bool { rows == columns }

  public var description: String {
    rowList.map { $0.map { "\($0)" }.joined(separator: " ") }.joined(separator: "\n")
  }
}

extension Matrix {
  /// The rows at `indexes`, in that order.
  public func selectingRows(_ indexes: [Int]) -> Matrix {
    var m = Matrix(rows: indexes.count, columns: columns)
    for j in 0..<columns {
      let source = j * rows
      let target = j * indexes.count
      for (r, i) in indexes.enumerated() { m.storage[target + r] = storage[source + i] }
    }
    return m
  }
}

extension Matrix {
  /// The columns at `indexes`, in that order.
  public func selectingColumns(_ indexes: [Int]) -> Matrix {
    var values: [Double] = []
    values.reserveCapacity(indexes.count * rows)
    for j in indexes { values.append(contentsOf: storage[(j * rows)..<((j + 1) * rows)]) }
    return Matrix(rows: rows, columns: indexes.count, columnMajor: values)
  }
}
