'use strict';
// Braid for VS Code, VSCodium and Cursor: starts `braid serve` in the workspace folder and shows
// the repository's board, events, escalations and diffs with the standard extension API only.

const path = require('path');
const fs = require('fs');
const vscode = require('vscode');
const { RpcClient } = require('./rpc');
const { BoardProvider } = require('./board');
const { DiffContentProvider, SCHEME } = require('./diff');

const MESSAGE_TYPES = { 1: 'Error', 2: 'Warning', 3: 'Info', 4: 'Log' };

let state = null; // everything activate() made, for deactivate() and the commands

function folder() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length ? folders[0].uri.fsPath : undefined;
}

function isBraidRepository() {
  const root = folder();
  return Boolean(root && fs.existsSync(path.join(root, '.braid', 'config.json')));
}

function log(line) {
  if (state) state.output.appendLine(line);
}

/** The running client, started (and initialized) on first use. */
function client() {
  const current = state;
  if (!current) return Promise.reject(new Error('the Braid extension is not active'));
  if (current.starting) return current.starting;
  const root = folder();
  if (!root) return Promise.reject(new Error('Braid needs an open folder (a git repository)'));
  const executable = vscode.workspace.getConfiguration('braid').get('executable') || 'braid';
  const rpc = new RpcClient(executable, ['serve'], { cwd: root, log: (line) => log(`[server] ${line}`) });
  listen(rpc);
  const starting = (async () => {
    try {
      await rpc.start();
    } catch (error) {
      throw new Error(`cannot start '${executable} serve' (set braid.executable): ${error.message}`);
    }
    const result = await rpc.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'braid-vscode', version: current.version },
      rootUri: vscode.Uri.file(root).toString(),
      rootPath: root,
      // `window.showMessage` present: escalations come to us as window/showMessageRequest.
      capabilities: { window: { showMessage: {} } },
    });
    rpc.notify('initialized', {});
    log(`connected to ${result.serverInfo.name} ${result.serverInfo.version} in ${root}`);
    current.rpc = rpc;
    await refresh(rpc);
    return rpc;
  })();
  current.starting = starting;
  starting.catch((error) => {
    log(error.message);
    if (current.starting === starting) current.starting = null;
    if (rpc.running) rpc.stop().catch(() => {});
  });
  return starting;
}

async function refresh(rpc) {
  let tasks = [];
  let note;
  try {
    ({ tasks } = await rpc.request('task/list', {}));
  } catch (error) {
    // Not a Braid repository yet: the board stays empty until `Braid: Initialize Repository`.
    log(`task/list: ${error.message}`);
    note = 'not a Braid repository';
  }
  if (!state) return;
  state.board.setAll(tasks);
  updateStatus(note);
}

/** What the server tells us: the board, the output channel, messages, and escalations. */
function listen(rpc) {
  rpc.onClose((code, signal) => {
    log(`braid serve exited (${signal || code})`);
    if (state && state.rpc === rpc) {
      state.rpc = null;
      state.starting = null;
      updateStatus('stopped');
    }
  });
  // Nothing is shown once the extension is deactivated (the server may still be talking).
  const on = (method, handler) => rpc.onNotification(method, (params) => { if (state) handler(params || {}); });
  on('task/changed', ({ id, task }) => {
    state.board.update(id, task);
    updateStatus();
  });
  on('session/output', ({ task, text }) => {
    for (const line of text.replace(/\n$/, '').split('\n')) state.output.appendLine(`#${task} | ${line}`);
  });
  on('session/exited', (p) =>
    log(`#${p.task} session ${p.session} exited: ${p.reason}${p.exitCode === null ? '' : ` (status ${p.exitCode})`}`));
  // gate/result and merge/landed are told by the server's own log lines and $/progress as well.
  on('merge/refused', (p) => log(`#${p.task} sent back by the merge queue (${p.reason}): ${p.detail}`));
  on('$/progress', ({ value }) => {
    if (value && (value.title || value.message)) log(`[${value.kind}] ${[value.title, value.message].filter(Boolean).join(': ')}`);
  });
  on('window/logMessage', ({ message }) => log(message));
  on('window/showMessage', ({ type, message }) => {
    log(`${MESSAGE_TYPES[type] || 'Info'}: ${message}`);
    if (type === 1) vscode.window.showErrorMessage(`Braid: ${message}`);
    else if (type === 2) vscode.window.showWarningMessage(`Braid: ${message}`);
    else if (type === 3) vscode.window.showInformationMessage(`Braid: ${message}`);
  });
  rpc.onRequest('window/showMessageRequest', (params) => escalation(params));
  rpc.onRequest('client/ping', (params) => ({ pong: params && params.nonce }));
}

/** An escalated task: the actions as buttons; the chosen one (or null) is the answer. */
async function escalation({ message, actions }) {
  log(`Escalation: ${message}`);
  const titles = (actions || []).map((action) => action.title);
  const choice = await vscode.window.showWarningMessage(`Braid: ${message}`, ...titles);
  if (choice === undefined) return null;
  const answer = { ...(actions.find((action) => action.title === choice) || { title: choice }) };
  if (choice === 'Retry') {
    const guidance = await vscode.window.showInputBox({ prompt: 'Guidance for the next try (optional)' });
    if (guidance) answer.guidance = guidance;
  } else if (choice === 'Reassign') {
    const agent = await vscode.window.showInputBox({ prompt: 'Agent to reassign to (empty: the next configured one)' });
    if (agent) answer.agent = agent;
  }
  log(`answered: ${choice}`);
  return answer;
}

function updateStatus(note) {
  const item = state.status;
  if (note) {
    item.text = `$(circle-slash) Braid: ${note}`;
  } else {
    const { running, queued, blocked } = state.board.counts();
    item.text = `$(pulse) Braid: ${running} running · ${queued} queued · ${blocked} blocked`;
  }
  item.show();
}

/** The task a command acts on: the tree item it was invoked on, an id, or one picked from the board. */
async function pickTask(arg, sections, placeHolder) {
  if (arg && arg.kind === 'task') return arg.id;
  if (typeof arg === 'number') return arg;
  if (arg && typeof arg.id === 'number') return arg.id;
  const tasks = [...state.board.tasks.values()].filter((task) => !sections || sections.includes(task.section));
  if (!tasks.length) {
    vscode.window.showInformationMessage('Braid: no task to choose from');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(tasks.map((task) => ({
    label: `#${task.id} ${task.title}`, description: task.section, id: task.id,
  })), { placeHolder });
  return picked ? picked.id : undefined;
}

/** A palette body with "\n" for line breaks ("\\" for a backslash) becomes a multi-line body. */
function unescapeBody(text) {
  return text.replace(/\\(n|\\)/g, (_, c) => (c === 'n' ? '\n' : '\\'));
}

const COMMANDS = {
  'braid.showBoard': async () => {
    await vscode.commands.executeCommand('workbench.view.extension.braid');
    await client();
  },
  'braid.refresh': async () => refresh(await client()),
  'braid.init': async () => {
    const rpc = await client();
    await rpc.request('workspace/init', {});
    await refresh(rpc);
    vscode.window.showInformationMessage('Braid: set up in this repository (.braid/config.json)');
  },
  'braid.addTask': async (arg) => {
    let { title, body } = arg && typeof arg === 'object' && arg.title ? arg : {};
    if (!title) {
      title = await vscode.window.showInputBox({ prompt: 'Task title', placeHolder: 'Add a login page' });
      if (!title) return undefined;
      const text = await vscode.window.showInputBox({
        prompt: 'Task body (optional; \\n starts a new line, e.g. ```sh\\nmake gen\\n``` for the script agent)',
      });
      if (text === undefined) return undefined;
      body = unescapeBody(text);
    }
    const task = await (await client()).request('task/add', body ? { title, body } : { title });
    state.board.update(task.id, task);
    log(`#${task.id} added: ${task.title}`);
    return task;
  },
  'braid.run': async () => {
    const { mode } = await (await client()).request('supervisor/run', { workDoneToken: 'braid-vscode/run' });
    log(`supervisor: ${mode}`);
    updateStatus();
  },
  'braid.showDiff': async (arg) => {
    const id = await pickTask(arg, ['inProgress', 'review', 'blocked', 'done'], 'Show the diff of…');
    if (id === undefined) return;
    const answer = await (await client()).request('task/diff', { task: id });
    if (!answer.files.length) {
      vscode.window.showInformationMessage(`Braid: #${id} changes nothing`);
      return;
    }
    const generation = state.diffs.remember(id, answer);
    let file = answer.files[0];
    if (answer.files.length > 1) {
      const picked = await vscode.window.showQuickPick(answer.files.map((one) => ({
        label: one.path, description: one.binary ? 'binary' : `+${one.added} −${one.deleted}`, file: one,
      })), { placeHolder: `#${id}: ${answer.files.length} files changed` });
      if (!picked) return;
      file = picked.file;
    }
    const left = state.diffs.uri(generation, 'base', file.path);
    const right = state.diffs.uri(generation, 'new', file.path);
    await vscode.commands.executeCommand('vscode.diff', left, right, `#${id}: ${file.path} (${answer.base.slice(0, 12)} ↔ task)`);
  },
  'braid.showLog': async (arg) => {
    const id = await pickTask(arg, null, 'Show the session log of…');
    if (id === undefined) return;
    const { text } = await (await client()).request('session/log', { task: id, tail: 65536 });
    state.output.appendLine(`──── #${id} session log ────`);
    state.output.append(text.endsWith('\n') || !text ? text : text + '\n');
    state.output.show(true);
  },
  'braid.approve': async (arg) => {
    const id = await pickTask(arg, ['review'], 'Approve…');
    if (id === undefined) return;
    const task = await (await client()).request('task/approve', { task: id });
    log(`#${id} approved (${task.section})`);
  },
  'braid.reject': async (arg) => {
    const id = await pickTask(arg, ['review'], 'Reject…');
    if (id === undefined) return;
    const feedback = await vscode.window.showInputBox({ prompt: `What should #${id} change?` });
    if (!feedback) return;
    await (await client()).request('task/reject', { task: id, feedback });
    log(`#${id} rejected: ${feedback}`);
  },
  'braid.merge': async (arg) => {
    const id = await pickTask(arg, ['review'], 'Merge…');
    if (id === undefined) return;
    const { queued } = await (await client()).request('merge/enqueue', { tasks: [id] });
    log(`merge queue: ${queued.map((one) => `#${one.task}`).join(', ') || 'nothing'} queued`);
  },
  'braid.retry': async (arg) => {
    const id = await pickTask(arg, ['blocked'], 'Retry…');
    if (id === undefined) return;
    const guidance = await vscode.window.showInputBox({ prompt: `Guidance for #${id}'s next try (optional)` });
    if (guidance === undefined) return;
    await (await client()).request('task/retry', guidance ? { task: id, guidance } : { task: id });
  },
  'braid.abandon': async (arg) => {
    const id = await pickTask(arg, ['todo', 'inProgress', 'review', 'blocked'], 'Abandon…');
    if (id === undefined) return;
    await (await client()).request('task/abandon', { task: id });
  },
  'braid.cancel': async (arg) => {
    const id = await pickTask(arg, ['inProgress'], 'Cancel the session of…');
    if (id === undefined) return;
    await (await client()).request('session/cancel', { task: id });
  },
  'braid.openWorktree': async (arg) => {
    const id = await pickTask(arg, ['inProgress', 'review', 'blocked'], 'Open the worktree of…');
    if (id === undefined) return;
    const { worktrees } = await (await client()).request('worktree/list');
    const worktree = worktrees.find((one) => one.task === id && !one.missing);
    if (!worktree) {
      vscode.window.showErrorMessage(`Braid: #${id} has no worktree`);
      return;
    }
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(worktree.path), { forceNewWindow: true });
  },
};

function activate(context) {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  state = {
    version: manifest.version,
    output: vscode.window.createOutputChannel('Braid'),
    status: vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 10),
    board: new BoardProvider(),
    diffs: new DiffContentProvider(() => folder()),
    rpc: null,
    starting: null,
  };
  state.status.command = 'braid.showBoard';
  state.status.tooltip = 'Braid: running, queued and blocked tasks';
  updateStatus('not started');
  const subscriptions = context.subscriptions;
  subscriptions.push(state.output, state.status);
  subscriptions.push(vscode.window.createTreeView('braid.board', { treeDataProvider: state.board, showCollapseAll: true }));
  subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(SCHEME, state.diffs));
  for (const [name, run] of Object.entries(COMMANDS)) {
    subscriptions.push(vscode.commands.registerCommand(name, async (...args) => {
      try {
        return await run(...args);
      } catch (error) {
        log(`${name}: ${error.message}`);
        vscode.window.showErrorMessage(`Braid: ${error.message}`);
        return undefined;
      }
    }));
  }
  // Another executable: the next command (or, in a Braid repository, right now) starts it.
  subscriptions.push(vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration('braid.executable') || !state) return;
    const rpc = state.rpc;
    state.rpc = null;
    state.starting = null;
    if (rpc) rpc.stop().catch(() => {});
    if (isBraidRepository()) client().catch(() => {});
  }));
  // A Braid repository is served right away, so that the board and the status bar fill in.
  if (isBraidRepository()) client().catch(() => {});
  return { client, board: state.board, diffs: state.diffs, output: state.output };
}

/** Shuts the server down (LSP's shutdown and exit); the daemon and its agents keep running. */
async function deactivate() {
  if (!state) return;
  const current = state;
  state = null;
  const rpc = current.rpc || (current.starting && await current.starting.catch(() => null));
  if (rpc) await rpc.stop();
}

module.exports = { activate, deactivate, COMMANDS };
