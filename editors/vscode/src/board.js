'use strict';
// The board as a tree: the five sections as parents, their tasks as children. It holds the tasks
// the server last told of (task/list at start, then each task/changed).

const vscode = require('vscode');

const SECTIONS = [
  { id: 'todo', label: 'Todo', icon: 'circle-large-outline' },
  { id: 'inProgress', label: 'In Progress', icon: 'sync' },
  { id: 'review', label: 'Review', icon: 'eye' },
  { id: 'blocked', label: 'Blocked', icon: 'warning' },
  { id: 'done', label: 'Done', icon: 'pass' },
];

/** What the tree shows after a task's title: owner, attempts, gate, risk (and queue/review). */
function describe(task) {
  const parts = [];
  if (task.owner) parts.push(task.owner);
  if (task.runningSession) parts.push('running');
  if (task.attempts) parts.push(`${task.attempts} failed ${task.attempts === 1 ? 'try' : 'tries'}`);
  if (task.lastGate) parts.push(`gate ${task.lastGate}`);
  if (task.risk && task.risk.level) parts.push(`risk ${task.risk.level}`);
  if (task.queued) parts.push('queued');
  if (task.review) parts.push(task.review);
  return parts.join(' · ');
}

class BoardProvider {
  constructor() {
    this.tasks = new Map(); // id → task snapshot
    this.changed = new vscode.EventEmitter();
    this.onDidChangeTreeData = this.changed.event;
  }

  /** Replaces every task (the answer of task/list). */
  setAll(tasks) {
    this.tasks = new Map(tasks.map((task) => [task.id, task]));
    this.changed.fire(undefined);
  }

  /** One task/changed notification: a new snapshot, or null when the task was removed. */
  update(id, task) {
    if (task) this.tasks.set(id, task);
    else this.tasks.delete(id);
    this.changed.fire(undefined);
  }

  task(id) { return this.tasks.get(Number(id)); }

  inSection(section) {
    return [...this.tasks.values()].filter((task) => task.section === section);
  }

  counts() {
    const all = [...this.tasks.values()];
    return {
      running: all.filter((task) => task.runningSession).length,
      queued: all.filter((task) => task.queued).length,
      blocked: all.filter((task) => task.section === 'blocked').length,
    };
  }

  getChildren(element) {
    // An empty board shows the view's welcome content (Add Task, Initialize) instead.
    if (!element) return this.tasks.size ? SECTIONS.map((section) => ({ kind: 'section', section })) : [];
    if (element.kind === 'section') {
      return this.inSection(element.section.id).map((task) => ({ kind: 'task', id: task.id }));
    }
    return [];
  }

  getParent(element) {
    if (element.kind !== 'task') return undefined;
    const task = this.task(element.id);
    const section = task && SECTIONS.find((one) => one.id === task.section);
    return section ? { kind: 'section', section } : undefined;
  }

  getTreeItem(element) {
    if (element.kind === 'section') {
      const { section } = element;
      const count = this.inSection(section.id).length;
      const item = new vscode.TreeItem(section.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `section:${section.id}`;
      item.description = String(count);
      item.iconPath = new vscode.ThemeIcon(section.icon);
      item.contextValue = 'braidSection';
      return item;
    }
    const task = this.task(element.id);
    if (!task) return new vscode.TreeItem(`#${element.id}`);
    const item = new vscode.TreeItem(`#${task.id} ${task.title}`, vscode.TreeItemCollapsibleState.None);
    item.id = `task:${task.id}`;
    item.description = describe(task);
    const tooltip = [`#${task.id} ${task.title}`, `section: ${task.section}`];
    if (task.agent) tooltip.push(`agent: ${task.agent}`);
    if (task.blockedReason) tooltip.push(`blocked: ${task.blockedReason}`);
    if (task.landedCommit) tooltip.push(`landed: ${task.landedCommit}`);
    if (task.risk && task.risk.reasons && task.risk.reasons.length) tooltip.push(`risk: ${task.risk.reasons.join('; ')}`);
    item.tooltip = tooltip.join('\n');
    item.contextValue = `braidTask.${task.section}`;
    item.iconPath = new vscode.ThemeIcon(task.runningSession ? 'loading~spin'
      : (SECTIONS.find((one) => one.id === task.section) || SECTIONS[0]).icon);
    // A click shows what a task changed, once there is something to review.
    if (task.section === 'review' || task.section === 'done') {
      item.command = { command: 'braid.showDiff', title: 'Show Diff', arguments: [{ kind: 'task', id: task.id }] };
    }
    return item;
  }
}

module.exports = { BoardProvider, SECTIONS, describe };
