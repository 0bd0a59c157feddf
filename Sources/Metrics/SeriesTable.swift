// SeriesTable: the children of a metric family, one per combination of label values.

import Synchronization

/// The children of one family keyed by their label values (in the family's label-name order);
/// a family without labels has exactly one child, created with the family.
final class SeriesTable<Child: AnyObject & Sendable>: Sendable {
    let family: String
    let labelNames: [String]
    private let makeChild: @Sendable () -> Child
    private let children = Mutex<[[String]: Child]>([:])

    init(family: String, labelNames: [String], makeChild: @escaping @Sendable () -> Child) {
        self.family = family
        self.labelNames = labelNames
        self.makeChild = makeChild
        if labelNames.isEmpty { children.withLock { $0[[]] = makeChild() } }
    }

    /// The child for `labels`, created on first use; `labels` must name exactly the family's labels.
    func child(_ labels: [String: String]) -> Child {
        let values = labelValues(labels)
        return children.withLock { table in
            if let child = table[values] { return child }
            let child = makeChild()
            table[values] = child
            return child
        }
    }

    /// Every child with its label values, sorted by label values so that output is deterministic.
    func sorted() -> [(labelValues: [String], child: Child)] {
        let all = children.withLock { table in table.map { (labelValues: $0.key, child: $0.value) } }
        return all.sorted { lhs, rhs in
            lhs.labelValues.lexicographicallyPrecedes(rhs.labelValues) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
    }

    private func labelValues(_ labels: [String: String]) -> [String] {
        var values: [String] = []
        values.reserveCapacity(labelNames.count)
        for name in labelNames {
            guard let value = labels[name] else { preconditionFailure(mismatch(labels)) }
            values.append(value)
        }
        precondition(labels.count == labelNames.count, mismatch(labels))
        return values
    }

    private func mismatch(_ labels: [String: String]) -> String {
        "metric \(family) takes the labels \(labelNames), not \(labels.keys.sorted())"
    }
}
