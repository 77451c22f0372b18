import ArgumentParser
import Foundation
@testable import LisaCommands
import Testing
import TestSupport

// Every command's --help carries a one-line example, the example parses as that command, and the shell
// completion scripts that swift-argument-parser generates are printed for bash, zsh and fish.

@Suite struct HelpAndCompletionTests {
    /// Every command type below `root` with its path of names ("bench prefill").
    static func commands(_ root: ParsableCommand.Type = Lisa.self, path: [String] = []) -> [(path: [String], type: ParsableCommand.Type)] {
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
            #expect(Array(argv.dropFirst().prefix(path.count)) == path, "\(name): the example runs another command: \(example)")
            // The example must be valid: it parses (and validates) as this command or, for a group, one of its own.
            do {
                let parsed = try Lisa.parseAsRoot(Array(argv.dropFirst()))
                let names = Self.commands(type).map { ObjectIdentifier($0.type) }
                #expect(names.contains(ObjectIdentifier(Swift.type(of: parsed))), "\(name): \(example) parses as \(Swift.type(of: parsed))")
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
}
