'use strict';
// package.json against what VS Code (and vsce) require of an extension manifest, and against the
// extension itself: every contributed command is registered by activate(), and every command a
// menu, keybinding or activation event names is contributed.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');

const vscode = require('./vscode-stub');
const { recorded, install, context } = vscode.__stub;

const ROOT = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const contributes = manifest.contributes || {};
const commands = new Set((contributes.commands || []).map((command) => command.command));
const views = Object.values(contributes.views || {}).flat().map((view) => view.id);

// semver 2.0.0, as vsce checks `version` and the engine's range.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

test('identity: name, publisher, version, engine, main', () => {
  assert.match(manifest.name, /^[a-z0-9][a-z0-9._-]*$/, 'name: lowercase, no spaces');
  assert.ok(manifest.name.length <= 214);
  assert.match(manifest.publisher, /^[a-zA-Z0-9][a-zA-Z0-9-]*$/, 'publisher: letters, digits, dashes');
  assert.match(manifest.version, SEMVER, 'version: semver');
  assert.ok(manifest.displayName && manifest.description, 'displayName and description');
  assert.ok(manifest.engines && typeof manifest.engines.vscode === 'string', 'engines.vscode');
  const engine = /^\^?(\d+)\.(\d+)\.(\d+)$/.exec(manifest.engines.vscode);
  assert.ok(engine, `engines.vscode is a version range like ^1.75.0, not ${manifest.engines.vscode}`);
  assert.ok(Number(engine[1]) === 1 && Number(engine[2]) >= 74,
    'engines.vscode ≥ 1.74 (commands and views activate the extension by themselves)');
  assert.ok(fs.existsSync(path.join(ROOT, manifest.main)), `main exists: ${manifest.main}`);
  assert.ok(!manifest.dependencies || !Object.keys(manifest.dependencies).length, 'no dependencies');
  assert.ok(!manifest.devDependencies || !Object.keys(manifest.devDependencies).length, 'no dev dependencies');
  assert.ok(fs.existsSync(path.join(ROOT, 'README.md')), 'a README');
});

test('activation events are valid', () => {
  assert.ok(Array.isArray(manifest.activationEvents));
  for (const event of manifest.activationEvents) {
    if (event === '*' || event === 'onStartupFinished') continue;
    const [kind, ...rest] = event.split(':');
    const argument = rest.join(':');
    assert.ok(argument, `${event}: names what it waits for`);
    switch (kind) {
      case 'onCommand': assert.ok(commands.has(argument), `${event}: a contributed command`); break;
      case 'onView': assert.ok(views.includes(argument), `${event}: a contributed view`); break;
      case 'workspaceContains': case 'onLanguage': case 'onFileSystem': case 'onUri': case 'onCustomEditor':
      case 'onDebug': case 'onTerminalProfile': case 'onWebviewPanel': case 'onAuthenticationRequest':
        break;
      default: assert.fail(`${event}: not an activation event VS Code knows`);
    }
  }
});

test('commands: the command palette has the issue\'s commands, each with a title', () => {
  for (const command of contributes.commands) {
    assert.match(command.command, /^braid\.[a-zA-Z]+$/);
    assert.ok(command.title && command.category === 'Braid', `${command.command}: title, category Braid`);
  }
  const titles = contributes.commands.map((command) => `${command.category}: ${command.title}`);
  for (const title of ['Show Board', 'Add Task', 'Run', 'Show Diff', 'Approve', 'Reject', 'Merge', 'Open Worktree']) {
    assert.ok(titles.includes(`Braid: ${title}`), `Braid: ${title} is contributed`);
  }
});

test('menus and keybindings name contributed commands and views', () => {
  for (const [menu, items] of Object.entries(contributes.menus || {})) {
    for (const item of items) {
      assert.ok(commands.has(item.command), `${menu}: ${item.command} is contributed`);
      for (const view of (item.when || '').matchAll(/\bview == ([\w.]+)/g)) assert.ok(views.includes(view[1]), `${menu}: view ${view[1]}`);
    }
  }
  for (const binding of contributes.keybindings || []) {
    assert.ok(commands.has(binding.command), `keybinding ${binding.key}: ${binding.command} is contributed`);
    assert.ok(binding.key, 'a keybinding has a key');
  }
});

test('views: a tree view in a view container of its own', () => {
  const containers = (contributes.viewsContainers && contributes.viewsContainers.activitybar) || [];
  for (const container of containers) {
    assert.match(container.id, /^[a-zA-Z0-9_-]+$/, 'a container id is letters, digits, _ and -');
    assert.ok(container.title && container.icon);
    assert.ok(fs.existsSync(path.join(ROOT, container.icon)), `the container's icon exists: ${container.icon}`);
    assert.ok(contributes.views[container.id], `views are contributed to ${container.id}`);
  }
  assert.ok(views.includes('braid.board'));
});

test('configuration: braid.executable', () => {
  const properties = contributes.configuration.properties;
  assert.equal(properties['braid.executable'].type, 'string');
  assert.equal(properties['braid.executable'].default, 'braid');
});

test('activate() registers every contributed command, the tree view and the diff provider', () => {
  install(); // no folder open: nothing is started
  const extension = require('../src/extension');
  const ctx = context();
  const api = extension.activate(ctx);
  assert.ok(api && api.board, 'activate returns the extension API');
  const registered = [...recorded.commands.keys()].sort();
  assert.deepEqual(registered, [...commands].sort(), 'registered commands = contributed commands');
  for (const view of views) assert.ok(recorded.treeDataProviders.has(view), `a tree data provider for ${view}`);
  assert.ok(recorded.contentProviders.has('braid-diff'));
  assert.ok(ctx.subscriptions.length >= registered.length, 'everything is disposed with the extension');
  return extension.deactivate();
});
