import Dispatch

// The package's one home of `@unchecked Sendable`. `concurrentPerform`
// wants `@Sendable` work, and the compiler cannot see that the work here
// is safe to share: each thread writes only its own index's slot (or its
// own partition's state), and the caller reads the slots only after every
// thread is done. Everything else in ChurnKit that runs on several cores
// goes through these few functions and types.

/// A value handed to other threads under a rule the compiler cannot check:
/// used only by the functions below, which keep to it.
private struct Shared<Value>: @unchecked Sendable {
  let value: Value
}

/// One result per index, each written by exactly one thread.
private final class Slots<Value>: @unchecked Sendable {
  var values: [Value?]
  init(_ count: Int) { values = [Value?](repeating: nil, count: count) }
}

/// `body(i)` for every `i` in `0..<count`, on all cores; the results in
/// index order. `body` may read shared state; what it writes must be its
/// own (it returns it).
///
/// ```swift
/// let squares = concurrentMap(4) { $0 * $0 }  // [0, 1, 4, 9]
/// ```
package func concurrentMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
  if count == 1 { return [body(0)] }
  let slots = Slots<T>(count)
  withoutActuallyEscaping(body) { body in
    let work = Shared(value: body)
    DispatchQueue.concurrentPerform(iterations: count) { i in slots.values[i] = work.value(i) }
  }
  return slots.values.map { $0! }
}

/// `body(i)` for every `i` in `0..<count`, on all cores, for the side
/// effects each index owns (see `Partitioned`).
package func concurrentForEach(_ count: Int, _ body: (Int) -> Void) {
  withoutActuallyEscaping(body) { body in
    let work = Shared(value: body)
    DispatchQueue.concurrentPerform(iterations: count) { i in work.value(i) }
  }
}

/// `first` and `second` at once, on two cores; both results, or the
/// first error (of `first`, then of `second`).
package func concurrently<A, B>(_ first: () throws -> A, _ second: () throws -> B) throws -> (A, B) {
  let a = Slots<Result<A, any Error>>(1)
  let b = Slots<Result<B, any Error>>(1)
  withoutActuallyEscaping(first) { first in
    withoutActuallyEscaping(second) { second in
      let jobs = Shared(value: (first, second))
      DispatchQueue.concurrentPerform(iterations: 2) { i in
        if i == 0 {
          a.values[0] = Result { try jobs.value.0() }
        } else {
          b.values[0] = Result { try jobs.value.1() }
        }
      }
    }
  }
  return (try a.values[0]!.get(), try b.values[0]!.get())
}

/// State split into partitions that threads update at once, partition `p`
/// only ever by the thread working on index `p` of a `concurrentForEach`.
///
/// ```swift
/// let counts = Partitioned([0, 0])
/// concurrentForEach(2) { p in counts.update(p) { $0 += 1 } }
/// counts.all  // [1, 1]
/// ```
package final class Partitioned<State>: @unchecked Sendable {
  private var states: [State]

  package init(_ states: [State]) { self.states = states }

  /// Every partition's state (read when no thread is updating).
  package var all: [State] { states }

  package var count: Int { states.count }

  /// Changes partition `p`'s state in place.
  package func update<R>(_ p: Int, _ body: (inout State) -> R) -> R { body(&states[p]) }
}

/// A pipeline over batches in order, three stages at once on all cores:
/// while batch k's pieces are worked on, batch k − 1's results are
/// finished (one thread, in order) and batch k + 1 is read (one thread).
/// `step()` runs one such round and waits for it; `startStep()` runs it in
/// the background, and `wait()` waits for it, so the caller can use the
/// last finished batch (`takeFinished()`) meanwhile.
///
/// Each stage's state is its closure's own: `read` is only ever called by
/// one thread at a time, `finish` likewise and in batch order, `work` at
/// once for different pieces of the same batch.
///
/// ```swift
/// let pipeline = OrderedPipeline(
///   read: { lines.next() }, pieces: { _ in 4 }, work: { batch, p in parse(batch, part: p) },
///   finish: { batch, parts in parts.count })
/// while pipeline.step() { print(pipeline.takeFinished() ?? 0) }
/// ```
package final class OrderedPipeline<Batch, Piece, Output>: @unchecked Sendable {
  private let read: () -> Batch?
  private let pieces: (Batch) -> Int
  private let work: (Batch, Int) -> Piece
  private let finish: (Batch, [Piece]) -> Output
  /// Read, not yet worked on.
  private var readBatch: Batch?
  /// Worked on, not yet finished.
  private var worked: (batch: Batch, pieces: [Piece])?
  /// What the last round's `finish` returned, not yet taken.
  private var finished: Output?
  private var exhausted = false
  private var background: DispatchGroup?

  /// Reads the first batch on the calling thread (`first` may read it
  /// differently, e.g. on all cores).
  package init(
    first: () -> Batch?, read: @escaping () -> Batch?, pieces: @escaping (Batch) -> Int,
    work: @escaping (Batch, Int) -> Piece, finish: @escaping (Batch, [Piece]) -> Output
  ) {
    self.read = read
    self.pieces = pieces
    self.work = work
    self.finish = finish
    readBatch = first()
    exhausted = readBatch == nil
  }

  /// Whether a step would do anything: a batch is read or worked on and
  /// not yet finished.
  package var hasWork: Bool { readBatch != nil || worked != nil }

  /// One round: finishes the worked batch, works on the read one and reads
  /// the next, at once. False when there was nothing left to do.
  @discardableResult
  package func step() -> Bool {
    guard hasWork else { return false }
    round()
    return true
  }

  /// `step()` in the background; `wait()` before touching what the stages
  /// touch.
  package func startStep() {
    guard hasWork else { return }
    let group = DispatchGroup()
    background = group
    group.enter()
    let pipeline = Shared(value: self)
    DispatchQueue.global().async {
      pipeline.value.round()
      group.leave()
    }
  }

  /// What `finish` returned in the last round, once (nil: it finished no
  /// batch then, or it was taken).
  package func takeFinished() -> Output? {
    defer { finished = nil }
    return finished
  }

  /// Waits for a step started by `startStep()`.
  package func wait() {
    background?.wait()
    background = nil
  }

  private func round() {
    let toFinish = worked
    let toWork = readBatch
    worked = nil
    readBatch = nil
    let count = toWork.map(pieces) ?? 0
    let results = Slots<Piece>(count)
    let next = Slots<Batch>(1)
    let output = Slots<Output>(1)
    let readsAhead = toWork != nil && !exhausted
    let batches = Shared(value: (toFinish, toWork))
    DispatchQueue.concurrentPerform(iterations: count + 2) { i in
      switch i {
      case 0: if let done = batches.value.0 { output.values[0] = self.finish(done.batch, done.pieces) }
      case 1: if readsAhead { next.values[0] = self.read() }
      default: results.values[i - 2] = self.work(batches.value.1!, i - 2)
      }
    }
    finished = output.values[0]
    if let toWork { worked = (toWork, results.values.map { $0! }) }
    readBatch = next.values[0]
    if readsAhead && readBatch == nil { exhausted = true }
  }
}
