import Foundation
import Testing
@testable import BraidCore

@Suite struct GitBranchNameTests {
    @Test(arguments: [
        ("Fix login", "fix-login"),
        ("  Add OAuth2 (Google) support!!  ", "add-oauth2-google-support"),
        ("Café crème", "cafe-creme"),
        ("; rm -rf ~", "rm-rf"),
        ("--upload-pack=x", "upload-pack-x"),
        ("../../etc/passwd", "etc-passwd"),
        ("🎉🚀", "task"),
        ("", "task"),
        ("fix\nbug", "fix-bug"),
        ("$(touch /tmp/pwned)", "touch-tmp-pwned"),
        ("a..b", "a-b"),
        ("x.lock", "x-lock"),
        ("@{u}", "u"),
    ])
    func slugKeepsLowercaseLettersAndDigitsAndJoinsTheRestWithOneDash(title: String, slug: String) {
        #expect(BranchName.slug(from: title) == slug)
    }

    @Test func slugIsBoundedAndNeverEndsWithADash() {
        #expect(BranchName.slug(from: String(repeating: "a", count: 5000)) == String(repeating: "a", count: 40))
        let words = String(repeating: "abc ", count: 100)
        let slug = BranchName.slug(from: words)
        #expect(slug.count <= 40 && !slug.hasSuffix("-") && slug.hasPrefix("abc-abc"))
    }

    @Test func namesCarryTheTaskNumberAndANumberWhenTaken() throws {
        let name = try BranchName(taskID: 12, title: "Fix login")
        #expect(name.name == "braid/12-fix-login")
        #expect(name.fullRef == "refs/heads/braid/12-fix-login")
        #expect(name.folderName == "12-fix-login")
        #expect(name.numbered(1).name == "braid/12-fix-login")
        #expect(name.numbered(3).name == "braid/12-fix-login-3")
    }

    @Test func validityCheckAgreesWithGitCheckRefFormat() throws {
        let git = Git(repository: FileManager.default.temporaryDirectory)
        let names = ["main", "release/2.x", "braid/12-fix", "-x", "a..b", "x.lock", "a/x.lock/b", "@{u}", "a@{b", "@",
                     "HEAD", "a b", "a\tb", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "/a", "a/", "a//b",
                     "a.", ".a", "a/.b", "a\u{7f}", "emoji-🎉", "x/y.lockz", "HEADS"]
        for name in names {
            #expect(BranchName.isValid(name) == (try git.isValidBranchName(name)), "\(name)")
        }
    }
}
