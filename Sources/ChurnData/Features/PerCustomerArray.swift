/// A table with a fixed number of values per customer, stored customer by
/// customer, that grows as new customers (rows) and new vocabulary entries
/// (columns) appear while a log streams by.
struct PerCustomerArray<Element: Sendable>: Sendable {
  private(set) var storage: [Element] = []
  private(set) var columns: Int
  private(set) var rows = 0
  let initial: Element

  init(columns: Int, initial: Element) {
    self.columns = columns
    self.initial = initial
  }

  @inline(__always)
  subscript(row: Int, column: Int) -> Element {
    get { storage[row * columns + column] }
    set { storage[row * columns + column] = newValue }
  }

  /// Makes room for rows `0..<count`.
  mutating func ensure(rows count: Int) {
    guard count > rows else { return }
    let newRows = max(count, rows * 2, 1024)
    storage.append(contentsOf: repeatElement(initial, count: (newRows - rows) * columns))
    rows = newRows
  }

  /// Makes room for columns `0..<count`, moving existing values.
  mutating func ensure(columns count: Int) {
    guard count > columns else { return }
    let newColumns = max(count, columns * 2, 4)
    var grown = [Element](repeating: initial, count: rows * newColumns)
    for r in 0..<rows {
      for c in 0..<columns { grown[r * newColumns + c] = storage[r * columns + c] }
    }
    storage = grown
    columns = newColumns
  }
}
