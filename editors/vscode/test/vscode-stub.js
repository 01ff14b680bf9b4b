'use strict';
// A small stand-in for the `vscode` module: just the API the extension uses, recording what it
// registers and shows, with the answers of prompts chosen by the test. `install()` makes
// `require('vscode')` return it.

const Module = require('module');
const path = require('path');

class Disposable {
  constructor(dispose) { this.dispose = dispose || (() => {}); }
  static from(...items) { return new Disposable(() => items.forEach((item) => item.dispose())); }
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return new Disposable(() => this.listeners.delete(listener));
    };
  }
  fire(value) { for (const listener of [...this.listeners]) listener(value); }
  dispose() { this.listeners.clear(); }
}

class Uri {
  constructor({ scheme = 'file', authority = '', path: p = '', query = '', fragment = '' }) {
    Object.assign(this, { scheme, authority, path: p, query, fragment });
  }
  static file(fsPath) { return new Uri({ scheme: 'file', path: path.resolve(fsPath) }); }
  static from(components) { return new Uri(components); }
  static parse(text) {
    const match = /^([a-z][\w+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(text);
    if (!match) throw new Error(`bad URI ${text}`);
    return new Uri({ scheme: match[1], authority: match[2] || '', path: decodeURIComponent(match[3]), query: match[4] || '', fragment: match[5] || '' });
  }
  get fsPath() { return this.path; }
  with(change) { return new Uri({ ...this, ...change }); }
  toString() {
    const authority = this.authority || this.scheme === 'file' ? `//${this.authority}` : '';
    return `${this.scheme}:${authority}${encodeURI(this.path)}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
  }
}

class TreeItem {
  constructor(label, collapsibleState = 0) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

class ThemeIcon { constructor(id, color) { this.id = id; this.color = color; } }
class ThemeColor { constructor(id) { this.id = id; } }

/** Everything the extension did, for the test to look at. */
const recorded = {
  commands: new Map(),        // id → handler
  executed: [],               // [id, ...args] of commands not registered here (vscode.diff, ...)
  treeDataProviders: new Map(), // view id → provider
  contentProviders: new Map(),  // scheme → provider
  messages: [],               // {type, message, items}
  prompts: [],                // {kind: 'inputBox'|'quickPick', options, items}
  outputChannels: [],
  statusBarItems: [],
  settings: {},               // 'braid.executable' → value
};

/** What the prompts answer: functions the test sets (default: dismissed). */
const answers = {
  showInformationMessage: () => undefined,
  showWarningMessage: () => undefined,
  showErrorMessage: () => undefined,
  showInputBox: () => undefined,
  showQuickPick: () => undefined,
};

function message(type) {
  return async (text, ...items) => {
    const options = items.length && typeof items[0] === 'object' && !('title' in items[0]) ? items.shift() : undefined;
    recorded.messages.push({ type, message: text, items, options });
    return answers[`show${type}Message`](text, items);
  };
}

const vscode = {
  Disposable, EventEmitter, Uri, TreeItem, ThemeIcon, ThemeColor,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  ViewColumn: { Active: -1, Beside: -2, One: 1 },
  commands: {
    registerCommand(id, handler) {
      if (recorded.commands.has(id)) throw new Error(`command '${id}' already exists`);
      recorded.commands.set(id, handler);
      return new Disposable(() => recorded.commands.delete(id));
    },
    async executeCommand(id, ...args) {
      const handler = recorded.commands.get(id);
      if (handler) return handler(...args);
      recorded.executed.push([id, ...args]);
      return undefined;
    },
    async getCommands() { return [...recorded.commands.keys()]; },
  },
  window: {
    showInformationMessage: message('Information'),
    showWarningMessage: message('Warning'),
    showErrorMessage: message('Error'),
    async showInputBox(options) {
      recorded.prompts.push({ kind: 'inputBox', options });
      return answers.showInputBox(options || {});
    },
    async showQuickPick(items, options) {
      const resolved = await items;
      recorded.prompts.push({ kind: 'quickPick', options, items: resolved });
      return answers.showQuickPick(resolved, options || {});
    },
    createOutputChannel(name) {
      const channel = {
        name, text: '', visible: false,
        append(value) { channel.text += value; },
        appendLine(value) { channel.text += `${value}\n`; },
        clear() { channel.text = ''; },
        show() { channel.visible = true; },
        hide() { channel.visible = false; },
        dispose() {},
      };
      recorded.outputChannels.push(channel);
      return channel;
    },
    createStatusBarItem(alignment, priority) {
      const item = {
        alignment, priority, text: '', tooltip: undefined, command: undefined, visible: false,
        show() { item.visible = true; }, hide() { item.visible = false; }, dispose() {},
      };
      recorded.statusBarItems.push(item);
      return item;
    },
    registerTreeDataProvider(id, provider) {
      recorded.treeDataProviders.set(id, provider);
      return new Disposable(() => recorded.treeDataProviders.delete(id));
    },
    createTreeView(id, options) {
      recorded.treeDataProviders.set(id, options.treeDataProvider);
      return { dispose() { recorded.treeDataProviders.delete(id); }, reveal: async () => {} };
    },
    async withProgress(options, task) {
      return task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: () => new Disposable() });
    },
  },
  workspace: {
    workspaceFolders: undefined,
    getConfiguration(section) {
      return {
        get(key, fallback) {
          const value = recorded.settings[section ? `${section}.${key}` : key];
          return value === undefined ? fallback : value;
        },
      };
    },
    registerTextDocumentContentProvider(scheme, provider) {
      recorded.contentProviders.set(scheme, provider);
      return new Disposable(() => recorded.contentProviders.delete(scheme));
    },
    onDidChangeConfiguration() { return new Disposable(); },
  },
};

/** Makes `require('vscode')` return this stand-in, and sets the workspace folder. */
function install({ folder } = {}) {
  const original = Module._resolveFilename;
  if (!original.braidStub) {
    const hooked = function (request, ...rest) {
      if (request === 'vscode') return __filename;
      return original.call(this, request, ...rest);
    };
    hooked.braidStub = true;
    Module._resolveFilename = hooked;
  }
  if (folder) vscode.workspace.workspaceFolders = [{ uri: Uri.file(folder), name: path.basename(folder), index: 0 }];
  return vscode;
}

/** A fake ExtensionContext. */
function context() {
  return { subscriptions: [], extensionPath: path.join(__dirname, '..') };
}

vscode.__stub = { recorded, answers, install, context };
module.exports = vscode;
