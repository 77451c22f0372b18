import Foundation
import Models
import Testing

// Attention policies are stored and written as tokens (issue 16, item 2), never as Swift's text of the case.
@Suite struct PolicyTokenTests {
    static let all: [AttentionPolicy] = [
        .standard, .uniform, .directShare(headMap: nil), .directShare(headMap: [1, 0, 3, 2]),
    ]

    @Test func tokensAreTheDocumentedNamesAndRoundTrip() throws {
        #expect(Self.all.map(\.token) == ["standard", "uniform", "ds", "ds:1,0,3,2"])
        for p in Self.all { #expect(try AttentionPolicy(token: p.token) == p) }
    }

    @Test func textStoredBeforeTokensStillReads() throws {
        #expect(try AttentionPolicy(token: "directShare(headMap: nil)") == .directShare(headMap: nil))
        #expect(
            try AttentionPolicy(token: "directShare(headMap: Optional([2, 0, 1]))") == .directShare(headMap: [2, 0, 1]))
    }

    @Test(arguments: ["", "ds:", "ds:1,,2", "ds:-1", "ds:a", "directShare", "DS", "shared"])
    func anUnknownTokenIsNamed(_ token: String) {
        #expect(throws: ModelError.unknownPolicy(token: token)) { try AttentionPolicy(token: token) }
    }

    @Test func policiesEncodeAsLayerToTokenAndBack() throws {
        let p = AttentionPolicies([10: .directShare(headMap: nil), 2: .uniform, 11: .directShare(headMap: [1, 0])])
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
        let text = String(decoding: try e.encode(p), as: UTF8.self)
        #expect(text == #"{"10":"ds","11":"ds:1,0","2":"uniform"}"#)
        #expect(try JSONDecoder().decode(AttentionPolicies.self, from: Data(text.utf8)) == p)
        #expect(p.tokens == ["10": "ds", "11": "ds:1,0", "2": "uniform"])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AttentionPolicies.self, from: Data(#"{"x":"ds"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AttentionPolicies.self, from: Data(#"{"2":"dss"}"#.utf8))
        }
    }
}
