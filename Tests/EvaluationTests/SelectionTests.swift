import Datasets
import Evaluation
import Testing

@Suite struct SelectionTests {
    @Test func limitSampleIsAPrefixOfTheRunOrder() throws {
        let t = try loadTask("piqa")
        let first = selectDocuments(t, options: EvalOptions(shots: 0, limit: 100, seed: 1234))
        let more = selectDocuments(t, options: EvalOptions(shots: 0, limit: 300, seed: 1234))
        // A run stopped after k documents has scored exactly the --limit k sample.
        #expect(Array(more.prefix(100)) == first)
        #expect(first.map(\.index).sorted() == sampleIndices(population: 1838, n: 100, seed: 1234))
        #expect(selectDocuments(t, options: EvalOptions(shots: 0, seed: 1234)).count == 1838)
        // Few-shot runs skip the 50-record pool.
        #expect(selectDocuments(t, options: EvalOptions(shots: 5, seed: 1)).allSatisfy { $0.index >= 50 })
    }
}
