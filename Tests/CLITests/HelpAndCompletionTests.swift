import ArgumentParser
import Foundation
@testable import LisaCommands
import Testing
import TestSupport

// Every command's --help carries a one-line example, the example parses as that command, and the shell
// completion scripts that swift-argument-parser generates are printed for bash, zsh and fish.

@Suite struct HelpAndCompletionTests {
    /// Every command type below `root` with its path of names ("bench prefill").
    static func commands(
        _ root: ParsableCommand.Type = Lisa.self, path: [String] = []
    ) -> [(path: [String], type: ParsableCommand.Type)] {
        var out = [(path: path, type: root)]
        for sub in root.configuration.subcommands {
            let name = sub.configuration.commandName ?? sub._commandName
            out += commands(sub, path: path + [name])
        }
        return out
    }

    /// Words of a one-line command as a POSIX shell reads them (double quotes group words; no other quoting here).
    static func words(_ line: String) -> [String] {
        var out: [String] = [], word = "", quoted = false, started = false
        for c in line {
            if c == "\"" { quoted.toggle(); started = true; continue }
            if c == " ", !quoted {
                if started { out.append(word) }
                word = ""; started = false; continue
            }
            word.append(c); started = true
        }
        if started { out.append(word) }
        return out
    }

    @Test func everyCommandsHelpHasAnExampleThatParsesAsThatCommand() throws {
        let all = Self.commands()
        #expect(all.count >= 24)
        for (path, type) in all {
            // wide enough that no example wraps (each is one line in the source, the width of any wide terminal)
            let help = Lisa.helpMessage(for: type, columns: 240)
            let examples = help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { $0.hasPrefix("Example: ") }.map { String($0.dropFirst("Example: ".count)) }
            let name = (["lisa"] + path).joined(separator: " ")
            #expect(examples.count == 1, "\(name): \(examples.count) Example lines in its --help")
            guard let example = examples.first else { continue }
            let argv = Self.words(example)
            #expect(argv.first == "lisa", "\(name): the example does not start with `lisa `: \(example)")
            #expect(
                Array(argv.dropFirst().prefix(path.count)) == path,
                "\(name): the example runs another command: \(example)")
            // The example must be valid: it parses (and validates) as this command or, for a group, one of its own.
            do {
                let parsed = try Lisa.parseAsRoot(Array(argv.dropFirst()))
                let names = Self.commands(type).map { ObjectIdentifier($0.type) }
                #expect(
                    names.contains(ObjectIdentifier(Swift.type(of: parsed))),
                    "\(name): \(example) parses as \(Swift.type(of: parsed))")
            } catch {
                Issue.record("\(name): its example does not parse: \(example): \(Lisa.message(for: error))")
            }
        }
    }

    @Test func theBinaryPrintsTheExampleInItsHelp() throws {
        let r = try LisaBinary.run(["study", "run", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Example: lisa study run studies/fig3.yaml --resume"))
        let site = try LisaBinary.run(["help", "site"])
        #expect(site.stdout.contains("Example: lisa site --out reports/site"))
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptIsPrinted(_ shell: String) throws {
        let r = try LisaBinary.run(["--generate-completion-script", shell])
        #expect(r.status == 0, "\(r.stderr)")
        let marker = ["bash": "complete -o filenames -F", "zsh": "#compdef lisa", "fish": "complete -c 'lisa'"][shell]!
        #expect(r.stdout.contains(marker), "\(shell): no `\(marker)` in the script")
        for sub in ["eval", "study", "site", "decode-step", "threads"] {
            #expect(r.stdout.contains(sub), "\(shell): the script does not know `\(sub)`")
        }
        #expect(r.stdout.split(separator: "\n").count > 50)
    }

    @Test func anUnknownShellIsRefusedWithTheKnownOnes() throws {
        let r = try LisaBinary.run(["--generate-completion-script", "tcsh"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("tcsh") && r.stderr.contains("zsh"))
    }

    // Comma-separated options are read strictly (issue 16, item 3): an empty or bad entry is named, never dropped.
    @Test func commaListsAreStrict() throws {
        #expect(try commaIntegers("3, 5,7", option: "--layers", expected: "a 0-based layer index") == [3, 5, 7])
        func message(_ text: String) -> String {
            do { _ = try commaIntegers(text, option: "--layers", expected: "a 0-based layer index"); return "" } catch {
                return "\(error)"
            }
        }
        #expect(message("3,x") == "--layers: \"x\" is not a 0-based layer index.")
        #expect(message("3,,5") == "--layers \"3,,5\" has an empty entry; give a 0-based layer index, comma-separated.")
        #expect(message("3,") == "--layers \"3,\" has an empty entry; give a 0-based layer index, comma-separated.")
        #expect(message("-1") == "--layers: \"-1\" is not a 0-based layer index.")
        #expect(message("") == "--layers \"\" has an empty entry; give a 0-based layer index, comma-separated.")
    }

    // One declaration per shared option (issue 16, item 3): every command's --db, --data, --seed, --threads has the
    // same help text, --seed the same default, and the model is an argument, never --model.
    @Test func sharedOptionsAreDeclaredOnce() throws {
        var helps: [String: Set<String>] = [:]
        for (path, type) in Self.commands() where type.configuration.subcommands.isEmpty {
            let h = Lisa.helpMessage(for: type, columns: 10_000)
            for line in h.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                for opt in ["--db <db>", "--data <data>", "--seed <seed>", "--threads <threads>"]
                where t.hasPrefix(opt + " ") {
                    helps[opt, default: []].insert(String(t.dropFirst(opt.count)).trimmingCharacters(in: .whitespaces))
                }
            }
            // table9's and table2's --model filter the stored runs and merge's names the tokenizer: none is the model
            // to run.
            if !["table9", "table2", "merge"].contains(path.first ?? "") {
                #expect(!h.contains("--model <model>"), "\(path.joined(separator: " ")) declares --model")
            }
        }
        for opt in ["--db <db>", "--data <data>", "--seed <seed>", "--threads <threads>"] {
            #expect(helps[opt]?.count == 1, "\(opt): \(helps[opt] ?? [])")
        }
        #expect(helps["--seed <seed>"]?.first?.hasSuffix("(default: 1234)") == true)
    }
}
