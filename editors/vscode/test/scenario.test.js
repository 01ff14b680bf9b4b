'use strict';
// The editors' common scenario, with the real `braid serve` ($BRAID_BIN, else `braid` on PATH):
// add a task through the extension's command, run it, see it Done in the tree view, look at its
// diff, answer an escalation through the warning message's buttons, and shut the server down.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const vscode = require('./vscode-stub');
const { recorded, answers, install, context } = vscode.__stub;

const BIN = process.env.BRAID_BIN || 'braid';
const HANG_GUARD_MS = Number(process.env.BRAID_TEST_TIMEOUT_MS || 180000);

function git(repo, ...args) {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
}

/** Polls `condition` until it is truthy; the timeout only guards against a hang. */
async function waitFor(what, condition, timeout = HANG_GUARD_MS) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) {
      const output = recorded.outputChannels.map((channel) => channel.text).join('\n');
      throw new Error(`timed out waiting for ${what}\n--- output channel ---\n${output.slice(-6000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The tree view as text: section label → [{label, description, tooltip}]. */
function treeView() {
  const provider = recorded.treeDataProviders.get('braid.board');
  assert.ok(provider, 'the extension registers a tree data provider for braid.board');
  const view = {};
  for (const section of provider.getChildren()) {
    const item = provider.getTreeItem(section);
    view[item.label] = provider.getChildren(section).map((child) => {
      const { label, description, tooltip, contextValue } = provider.getTreeItem(child);
      return { label, description, tooltip, contextValue };
    });
  }
  return view;
}

/** Answers the next input boxes with these values, in order. */
function typeInto(...values) {
  const queue = [...values];
  answers.showInputBox = () => queue.shift();
}

function script(lines) {
  // The Add Task prompt is one line: `\n` starts a new line of the body.
  return ['```sh', ...lines, '```'].join('\\n');
}

test('the scenario against the real braid serve', { timeout: HANG_GUARD_MS * 4 }, async (t) => {
  process.env.BRAID_DAEMON_IDLE_SECONDS = '120'; // a daemon left behind by a crash goes by itself
  const repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'braid-vscode-')));
  let extension;
  t.after(async () => {
    const text = recorded.outputChannels.map((channel) => channel.text).join('');
    for (const line of text.split('\n').slice(-80)) if (line) t.diagnostic(`output | ${line}`);
    if (extension) await extension.deactivate().catch(() => {});
    const stopped = spawnSync(BIN, ['daemon', 'stop'], { cwd: repo, encoding: 'utf8', timeout: 30000 });
    t.diagnostic(`braid daemon stop: ${stopped.status} ${(stopped.stdout || '') + (stopped.stderr || '')}`.trim());
    fs.rmSync(repo, { recursive: true, force: true });
  });

  // A small repository: a gate that fails while bad.txt exists, no retries, merges land by themselves.
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Braid Test');
  git(repo, 'config', 'user.email', 'braid-test@example.invalid');
  fs.writeFileSync(path.join(repo, 'check.sh'),
    '#!/bin/sh\nif [ -f bad.txt ]; then echo "GATE: bad.txt is there" >&2; exit 1; fi\nexit 0\n', { mode: 0o755 });
  fs.writeFileSync(path.join(repo, 'README.md'), '# A small project\n\nSome text.\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'start');
  fs.mkdirSync(path.join(repo, '.braid'));
  fs.writeFileSync(path.join(repo, '.braid', 'config.json'), JSON.stringify({
    baseBranch: 'main', gate: [{ name: 'check', run: ['./check.sh'] }], maxRetries: 0, mergeQueue: { auto: true },
  }, null, 2));

  // Activation: a Braid repository is served at once.
  install({ folder: repo });
  recorded.settings['braid.executable'] = BIN;
  extension = require('../src/extension');
  const api = extension.activate(context());
  const rpc = await api.client();
  assert.ok(rpc.running, 'braid serve runs');
  const status = recorded.statusBarItems[0];
  await waitFor('the status bar to show the counts', () => /0 running · 0 queued · 0 blocked/.test(status.text));
  assert.equal(status.command, 'braid.showBoard');
  const output = recorded.outputChannels.find((channel) => channel.name === 'Braid');
  assert.ok(output, 'an output channel named Braid');
  await waitFor('the connection to be logged', () => /connected to braid/.test(output.text));

  assert.deepEqual(treeView(), {}, 'an empty board shows the welcome content');

  // Add Task (two input boxes: title, then the body on one line) and Run.
  typeInto('Append to the README', `Appends a line to the README.\\n\\n${script([
    'echo "appending to the README"', 'echo "added by braid" >> README.md'])}`);
  const first = await vscode.commands.executeCommand('braid.addTask');
  assert.ok(first && Number.isInteger(first.id), 'Add Task returns the new task');
  assert.equal(recorded.prompts.filter((p) => p.kind === 'inputBox').length, 2, 'Add Task asks for a title and a body');
  assert.ok(treeView().Todo.some((item) => item.label === `#${first.id} Append to the README`), 'the new task is in Todo');
  await vscode.commands.executeCommand('braid.run');

  // The tree view shows it Done: it passed its gate and landed through the merge queue.
  const done = await waitFor(`#${first.id} in Done`, () =>
    treeView().Done.find((item) => item.label === `#${first.id} Append to the README`));
  assert.match(done.description, /gate passed/, 'the Done item describes its gate');
  assert.equal(done.contextValue, 'braidTask.done');
  assert.match(git(repo, 'show', 'main:README.md'), /added by braid/, 'the change is on main');
  assert.match(output.text, new RegExp(`#${first.id} landed`), 'the output channel tells of the landing');

  // Its session log, in the output channel.
  await vscode.commands.executeCommand('braid.showLog', { kind: 'task', id: first.id });
  await waitFor('the session log in the output channel', () =>
    output.text.includes(`──── #${first.id} session log ────\nappending to the README\n`));
  assert.ok(output.visible, 'Show Session Log shows the output channel');

  // Show Diff, from the command palette: the task is picked, the built-in diff editor opens.
  answers.showQuickPick = (items) => items.find((item) => item.id === first.id);
  await vscode.commands.executeCommand('braid.showDiff');
  const diff = recorded.executed.find(([id]) => id === 'vscode.diff');
  assert.ok(diff, `vscode.diff was invoked (errors: ${JSON.stringify(recorded.messages.filter((m) => m.type === 'Error'))})`);
  const [, left, right, title] = diff;
  assert.equal(left.scheme, 'braid-diff');
  assert.equal(right.scheme, 'braid-diff');
  assert.match(title, /README\.md/);
  const provider = recorded.contentProviders.get('braid-diff');
  assert.ok(provider, 'a content provider for braid-diff: is registered');
  const before = await provider.provideTextDocumentContent(left);
  const after = await provider.provideTextDocumentContent(right);
  assert.equal(before, '# A small project\n\nSome text.\n', 'the base side is the file before the task');
  assert.equal(after, '# A small project\n\nSome text.\nadded by braid\n', 'the new side has the added line');

  // An escalation: the gate fails, no retries left; the warning's "Abandon" button answers it,
  // once the test has opened the escalated task's worktree.
  let click;
  const clicked = new Promise((resolve) => { click = resolve; });
  answers.showWarningMessage = (message) => (/was escalated/.test(message) ? clicked : undefined);
  typeInto('Write a bad file', script(['echo "oops" > bad.txt']));
  const second = await vscode.commands.executeCommand('braid.addTask');
  await vscode.commands.executeCommand('braid.run');
  const asked = await waitFor(`the escalation of #${second.id}`, () =>
    recorded.messages.find((m) => m.type === 'Warning' && m.message.includes(`#${second.id} was escalated`)));
  assert.deepEqual(asked.items, ['Retry', 'Reassign', 'Abandon'], 'the actions are the buttons');
  assert.equal(api.board.task(second.id).section, 'blocked', 'an escalated task is blocked');

  // Open Worktree, from the command palette, on the escalated task: a new window on its worktree.
  answers.showQuickPick = (items) => items.find((item) => item.id === second.id);
  await vscode.commands.executeCommand('braid.openWorktree');
  const opened = recorded.executed.find(([id]) => id === 'vscode.openFolder');
  assert.ok(opened, `vscode.openFolder was invoked (errors: ${JSON.stringify(recorded.messages.filter((m) => m.type === 'Error'))})`);
  const [, folderUri, options] = opened;
  assert.equal(folderUri.scheme, 'file');
  assert.ok(fs.existsSync(path.join(folderUri.fsPath, 'bad.txt')), `the worktree ${folderUri.fsPath} has the task's work`);
  assert.ok(folderUri.fsPath.startsWith(repo), 'the worktree is inside the repository');
  assert.equal(options.forceNewWindow, true);
  click('Abandon');
  const blocked = await waitFor(`#${second.id} blocked as abandoned`, () =>
    treeView().Blocked.find((item) => item.label === `#${second.id} Write a bad file` && /abandon/i.test(item.tooltip)));
  assert.match(blocked.tooltip, /blocked: .*abandon/i);
  const snapshot = api.board.task(second.id);
  assert.equal(snapshot.section, 'blocked');
  assert.match(snapshot.blockedReason, /abandon/i);
  await waitFor('the status bar to count the blocked task', () => /1 blocked/.test(status.text));
  await waitFor('the server to confirm the abandon', () =>
    recorded.messages.some((m) => m.type === 'Information' && m.message.includes(`#${second.id} abandoned`)));
  assert.ok(!fs.existsSync(path.join(repo, 'bad.txt')), 'nothing is written into the checkout');

  // Deactivation shuts the server down cleanly (shutdown, exit → status 0).
  await extension.deactivate();
  extension = null;
  assert.equal(rpc.running, false, 'braid serve is gone');
  assert.equal(rpc.process.exitCode, 0, 'braid serve exited with 0 after shutdown and exit');
});
