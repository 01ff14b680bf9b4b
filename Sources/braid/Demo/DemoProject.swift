/// The small real project `braid demo` works on: a POSIX shell library with its own tests, and a
/// board of six tasks whose script agents act out, deterministically, what real agents do: work
/// side by side, fail a gate and fix it, fail until escalated, collide on the same lines, and
/// write back a stale copy of a file another task changed.
enum DemoProject {
    /// Path → contents of the first commit.
    static let files: [(String, String)] = [
        ("greet.sh", """
            #!/bin/sh
            # A tiny greeting library: source it, then call its functions.
            # Functions:
            #   greet
            greet() {
              echo "Hello, $1"
            }

            """),
        ("test.sh", """
            #!/bin/sh
            # The project's tests: every tests/test_*.sh must pass.
            status=0
            for t in tests/test_*.sh; do
              if sh "$t"; then echo "ok   $t"; else echo "FAIL $t"; status=1; fi
            done
            exit $status

            """),
        ("tests/test_greet.sh", """
            . ./greet.sh
            out=$(greet World)
            [ "$out" = "Hello, World" ] || { echo "greet World printed '$out', expected 'Hello, World'"; exit 1; }

            """),
        ("README.md", """
            # greet

            A tiny greeting library for shell scripts.

            Functions:
            - greet: says hello

            """),
    ]

    /// One task of the demo board: what a person would write, and the script its agent runs.
    struct Task {
        let id: Int
        let title: String
        let fields: [String]
        let description: String
        let script: String
    }

    /// Whether this task has tried before: Braid committed each earlier try's work as
    /// "Braid: #N …", so a retry finds it in the branch's history.
    private static func triedBefore(_ id: Int) -> String {
        "git log --format=%s | grep -q '^Braid: #\(id) '"
    }

    /// This task's own change to greet.sh: a line in the list of functions, right under its
    /// heading (where the other task adds its line too: the second to land conflicts), and the
    /// function at the end.
    private static func addFunction(_ name: String, _ body: String) -> String {
        """
        awk '{ print } /^# Functions:$/ { print "#   \(name)" }' greet.sh > greet.new && mv greet.new greet.sh
        cat >> greet.sh <<'EOF'
        \(body)
        EOF
        """
    }

    /// A retry after the merge queue refused the branch for a conflict: bring main in, take
    /// main's greet.sh and make this task's change to it again, which resolves the conflict.
    private static func resolve(_ name: String, _ body: String) -> String {
        """
        git merge --no-edit main >/dev/null 2>&1 || true
        git show main:greet.sh > greet.sh
        \(addFunction(name, body))
        git add -A && git commit -q --no-edit >/dev/null 2>&1 || true
        """
    }

    static let farewell = """
        farewell() {
          echo "Goodbye, $1"
        }
        """
    static let shout = """
        shout() {
          echo "$1!" | tr '[:lower:]' '[:upper:]'
        }
        """

    static let tasks: [Task] = [
        Task(id: 1, title: "Add a farewell function", fields: ["priority: 3"],
             description: "Adds `farewell` to greet.sh and its list of functions, with a test and a README line.",
             script: """
                if \(triedBefore(1)); then
                \(resolve("farewell", farewell))
                else
                \(addFunction("farewell", farewell))
                printf -- '- farewell: says goodbye\\n' >> README.md
                printf '. ./greet.sh\\n[ "$(farewell World)" = "Goodbye, World" ]\\n' > tests/test_farewell.sh
                fi
                """),
        Task(id: 2, title: "Add a shout function", fields: ["priority: 3"],
             description: "Adds `shout` to the same list of functions as #1: the second to land conflicts.",
             script: """
                if \(triedBefore(2)); then
                \(resolve("shout", shout))
                else
                sleep 1
                \(addFunction("shout", shout))
                fi
                """),
        Task(id: 3, title: "Document how to use the library", fields: ["priority: 3"],
             description: "Its agent syncs with main once #1 has landed, then writes back the README it read before: a stale copy.",
             script: """
                if \(triedBefore(3)); then
                git merge --no-edit main >/dev/null 2>&1 || true
                git show main:README.md > README.md
                printf '\\nUsage: . ./greet.sh, then greet NAME\\n' >> README.md
                else
                stale=$(cat README.md)
                i=0
                until git log main --format=%s | grep -q '^Add a farewell function'; do
                sleep 0.1; i=$((i+1)); [ $i -lt 300 ] || break
                done
                git merge --no-edit main >/dev/null 2>&1
                printf '%s\\n' "$stale" > README.md
                printf '\\nUsage: . ./greet.sh, then greet NAME\\n' >> README.md
                fi
                """),
        Task(id: 4, title: "Make the greeting friendlier", fields: ["priority: 2"],
             description: "Changes greet's words; its first try forgets the test, and the gate says so.",
             script: """
                sed 's/Hello, \\$1"/Hello, $1, nice to meet you"/' greet.sh > greet.new && mv greet.new greet.sh
                if \(triedBefore(4)); then
                sed 's/= "Hello, World"/= "Hello, World, nice to meet you"/' tests/test_greet.sh > t.new && mv t.new tests/test_greet.sh
                fi
                """),
        Task(id: 5, title: "Translate the greeting to French", fields: ["priority: 1"],
             description: "Every try breaks the greet test: after two retries it is escalated to you.",
             script: """
                sed 's/Hello/Bonjour/' greet.sh > greet.new && mv greet.new greet.sh
                echo "# try $(git log --format=%s | grep -c '^Braid: #5 ')" >> greet.sh
                """),
        Task(id: 6, title: "Test the shout function", fields: ["after: #2"],
             description: "Waits for #2 to be done.",
             script: """
                printf '. ./greet.sh\\n[ "$(shout hey)" = "HEY!" ]\\n' > tests/test_shout.sh
                """),
    ]

    /// The board, each task's script in an `sh` block of its body.
    static var board: String {
        var lines = ["# Demo board", "", "## Todo", ""]
        for task in tasks {
            lines.append("- [ ] \(task.title) (#\(task.id))")
            lines += task.fields.map { "  " + $0 }
            lines.append("  " + task.description)
            lines.append("  ```sh")
            lines += task.script.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }
            lines.append("  ```")
        }
        lines += ["", "## In Progress", "", "## Review", "", "## Blocked", "", "## Done", ""]
        return lines.joined(separator: "\n")
    }
}
