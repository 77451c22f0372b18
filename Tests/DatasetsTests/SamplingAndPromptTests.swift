import Basics
import Foundation
import Testing
import TestSupport
import Datasets

@Suite struct SamplingAndPromptTests {
    let data = DataDirectory(path: TestPaths.data.path)

    @Test func splitMix64ReferenceOutputs() {
        // Vigna's splitmix64.c with x = 0: the first output is 0xE220A8397B1DCDAF.
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        #expect(g.seed == 0)
    }

    @Test func samplingIsDeterministicPerSeed() {
        let a = sampleIndices(population: 1838, n: 100, seed: 1234)
        let b = sampleIndices(population: 1838, n: 100, seed: 1234)
        let c = sampleIndices(population: 1838, n: 100, seed: 1235)
        #expect(a == b)
        #expect(a != c)
        #expect(Set(a).count == 100 && a.allSatisfy { (0..<1838).contains($0) } && a == a.sorted())
        #expect(sampleIndices(population: 5, n: 5, seed: 9) == [0, 1, 2, 3, 4])
        #expect(sampleIndices(population: 5, n: 0, seed: 9) == [])
    }

    @Test func studyInputsPerTask() throws {
        for task in StudyTask.allCases {
            let x = try studyInputs(task, data: data, seed: 7)
            let y = try studyInputs(task, data: data, seed: 7)
            let z = try studyInputs(task, data: data, seed: 8)
            #expect(x.count == defaultSampleSize && x == y && x != z, "\(task)")
            #expect(Set(x.map(\.recordIndex)).count == defaultSampleSize)
        }
        #expect(throws: DatasetError.self) { try studyInputs(.wmt, data: data, n: 501, seed: 1) }
    }

    @Test func piqaAndWMTPromptsExactly() throws {
        let piqa = try readJSONL(PIQARecord.self, from: data.file("piqa/validation.jsonl"))
        #expect(
            piqaStudyPrompt(piqa[0])
                == "Q: How do I ready a guinea pig cage for it's new occupants?\nA: Provide the guinea pig with a "
                + "cage full of a few inches of bedding made of ripped paper strips, you will also need to "
                + "supply it with a water bottle and a food dish.\n"
        )
        // Record 1 has label 1, so the answer is sol2.
        #expect(piqaStudyPrompt(piqa[1]) == "Q: dresser\nA: finish, woodgrain with  bobby pin \n")
        let wmt = try readJSONL(WMT24Record.self, from: data.file("wmt/wmt24_en-de_en-zh.short500.jsonl"))
        #expect(
            wmtStudyPrompt(wmt[0])
                == "Translate English to German.\nEnglish: Siso's depictions of land, water center new gallery "
                + "exhibition\nGerman:"
        )
    }

    @Test func wecAndGSM8KPrompts() throws {
        let wec = try readJSONL(WECRecord.self, from: data.file("wec/dev.jsonl"))
        let p = wecStudyPrompt(wec[0])
        #expect(p.hasPrefix("From then on , the members continued their separate careers . Danny Boy founded"))
        #expect(p.hasSuffix(" LP in 2004\nQuestion: Which event does \"Family Values Tour 1998\" refer to?\nAnswer:"))
        let gsm = try readJSONL(GSM8KRecord.self, from: data.file("gsm8k/test.jsonl"))
        let g = gsm8kStudyPrompt(gsm[0])
        #expect(gsm8kChainOfThoughtExemplars.count == 8)
        #expect(
            g.hasPrefix(
                "Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they "
                    + "are done, there will be 21 trees. How many trees did the grove workers plant today?\nA: There "
                    + "are 15 trees originally. Then there were 21 trees after some more were planted. So there "
                    + "must have been 21 - 15 = 6. The answer is 6.\n\nQ: If there are 3 cars"
            ))
        #expect(
            g.hasSuffix(
                "23 - 15 is 8. The answer is 8.\n\nQ: Janet\u{2019}s ducks lay 16 eggs per day. She eats three for "
                    + "breakfast every morning and bakes muffins for her friends every day with four. She sells the "
                    + "remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars "
                    + "does she make every day at the farmers' market?\nA:"
            ))
        #expect(g.components(separatedBy: "\nA: ").count == 9)  // 8 answered exemplars
        #expect(g.components(separatedBy: "Q: ").count == 10)  // 8 exemplars + the question
    }
}
