'use strict';
// Diffs in VS Code's own diff editor. `task/diff` answers {base, files, patch}; a file's two sides
// are served by a TextDocumentContentProvider under the `braid-diff:` scheme:
//   - the base side is `git show <base>:<path>` in the repository (empty for an added file);
//   - the new side is that base with the file's hunks of the patch applied.
// So the editor shows exactly the change the server reported, whether the task is still in its
// worktree (uncommitted work included) or has landed, without needing to know where its worktree is.

const { execFile } = require('child_process');
const vscode = require('vscode');

const SCHEME = 'braid-diff';

/** Undoes git's C-style quoting of a path ("a/caf\303\251" → a/café). */
function unquote(path) {
  if (!path.startsWith('"')) return path;
  const bytes = [];
  for (let i = 1; i < path.length - 1; i++) {
    const c = path[i];
    if (c !== '\\') { bytes.push(...Buffer.from(c, 'utf8')); continue; }
    const next = path[++i];
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(path.substr(i, 3), 8));
      i += 2;
    } else {
      bytes.push({ n: 10, t: 9, r: 13, b: 8, f: 12, v: 11, a: 7 }[next] || next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function stripPrefix(path) {
  const plain = unquote(path.replace(/\t.*$/, ''));
  if (plain === '/dev/null') return null;
  return plain.replace(/^[ab]\//, '');
}

/** Splits a unified git patch into files: {oldPath, newPath, binary, hunks: [{oldStart, oldCount, lines}]}. */
function parsePatch(patch) {
  const files = [];
  let file = null;
  let hunk = null;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { oldPath: undefined, newPath: undefined, binary: false, hunks: [] };
      hunk = null;
      files.push(file);
      const names = /^diff --git (?:"?a\/)(.*?)"? (?:"?b\/)(.*?)"?$/.exec(line);
      if (names) { file.oldPath = unquote(names[1]); file.newPath = unquote(names[2]); }
      continue;
    }
    if (!file) continue;
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header) {
      hunk = { oldStart: Number(header[1]), oldCount: header[2] === undefined ? 1 : Number(header[2]), lines: [] };
      file.hunks.push(hunk);
    } else if (hunk && /^[ +\-\\]/.test(line)) {
      hunk.lines.push(line);
    } else if (!hunk && line.startsWith('--- ')) {
      file.oldPath = stripPrefix(line.slice(4));
    } else if (!hunk && line.startsWith('+++ ')) {
      file.newPath = stripPrefix(line.slice(4));
    } else if (!hunk && line.startsWith('new file mode')) {
      file.added = true;
    } else if (!hunk && line.startsWith('deleted file mode')) {
      file.deleted = true;
    } else if (!hunk && /^Binary files .* differ$|^GIT binary patch$/.test(line)) {
      file.binary = true;
    }
  }
  for (const one of files) {
    if (one.added) one.oldPath = null;
    if (one.deleted) one.newPath = null;
  }
  return files;
}

/** The new text of a file: `base` with the hunks applied. */
function applyHunks(base, hunks) {
  const lines = base === '' ? [] : base.split(/(?<=\n)/); // each line keeps its newline
  const out = [];
  let pos = 0;
  for (const hunk of hunks) {
    const start = hunk.oldCount === 0 ? hunk.oldStart : hunk.oldStart - 1;
    while (pos < start && pos < lines.length) out.push(lines[pos++]);
    let last = null;
    for (const line of hunk.lines) {
      const kind = line[0];
      const text = line.slice(1);
      if (kind === ' ') { out.push(text + '\n'); pos++; last = 'out'; }
      else if (kind === '-') { pos++; last = 'gone'; }
      else if (kind === '+') { out.push(text + '\n'); last = 'out'; }
      else if (kind === '\\' && last === 'out') out[out.length - 1] = out[out.length - 1].replace(/\n$/, '');
    }
  }
  while (pos < lines.length) out.push(lines[pos++]);
  return out.join('');
}

class DiffContentProvider {
  /** @param {() => string} root the repository folder (where git runs) */
  constructor(root) {
    this.root = root;
    this.diffs = new Map(); // generation → {task, base, files (parsed)}
    this.generation = 0;
    this.changed = new vscode.EventEmitter();
    this.onDidChange = this.changed.event;
  }

  /** Keeps a task/diff answer; returns its generation, which the URIs name. */
  remember(task, answer) {
    const generation = ++this.generation;
    this.diffs.set(generation, { task, base: answer.base, files: parsePatch(answer.patch || '') });
    return generation;
  }

  uri(generation, side, path) {
    return vscode.Uri.from({
      scheme: SCHEME,
      path: '/' + path,
      query: new URLSearchParams({ g: String(generation), side }).toString(),
    });
  }

  /** The file of a remembered diff whose new (or, when deleted, old) path is `path`. */
  file(generation, path) {
    const diff = this.diffs.get(generation);
    if (!diff) return undefined;
    return diff.files.find((one) => (one.newPath || one.oldPath) === path);
  }

  async provideTextDocumentContent(uri) {
    const query = new URLSearchParams(uri.query);
    const generation = Number(query.get('g'));
    const side = query.get('side');
    const path = uri.path.replace(/^\//, '');
    const diff = this.diffs.get(generation);
    const file = this.file(generation, path);
    if (!diff || !file) return '';
    if (file.binary) return `(binary file: ${path})\n`;
    const base = file.oldPath ? await this.show(diff.base, file.oldPath) : '';
    if (side === 'base') return base;
    return file.newPath ? applyHunks(base, file.hunks) : '';
  }

  /** `git show <rev>:<path>` in the repository. */
  show(rev, path) {
    return new Promise((resolve, reject) => {
      execFile('git', ['show', `${rev}:${path}`], { cwd: this.root(), maxBuffer: 256 << 20, encoding: 'utf8' },
        (error, stdout, stderr) => (error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout)));
    });
  }
}

module.exports = { DiffContentProvider, parsePatch, applyHunks, unquote, SCHEME };
