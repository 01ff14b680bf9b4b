'use strict';
// The packaging script writes a .vsix (a zip) with the manifest and the extension's files.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFileSync, spawnSync } = require('child_process');

const { unzip, crc32, zip } = require('../scripts/package.js');

const ROOT = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('crc32 is the zip CRC-32', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  if (zlib.crc32) assert.equal(crc32(Buffer.from('hello, braid')), zlib.crc32('hello, braid'));
});

test('zip and unzip round-trip, stored and deflated entries', () => {
  const entries = [
    { name: 'a.txt', data: Buffer.from('x') },
    { name: 'dir/b.txt', data: Buffer.from('braid '.repeat(1000)) },
    { name: 'café.md', data: Buffer.from('é') },
  ];
  const back = unzip(zip(entries));
  assert.deepEqual(back.map((e) => [e.name, e.data.toString()]), entries.map((e) => [e.name, e.data.toString()]));
});

test('scripts/package.js writes a .vsix with the manifest and the files', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-vsix-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'braid.vsix');
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), target], { encoding: 'utf8' });
  const entries = new Map(unzip(fs.readFileSync(target)).map((entry) => [entry.name, entry.data]));

  for (const name of ['[Content_Types].xml', 'extension.vsixmanifest', 'extension/package.json', 'extension/README.md',
    'extension/src/extension.js', 'extension/src/rpc.js', 'extension/src/board.js', 'extension/src/diff.js']) {
    assert.ok(entries.has(name), `${name} is in the .vsix`);
  }
  for (const name of entries.keys()) {
    assert.ok(!/^extension\/(test|scripts|dist)\//.test(name), `${name}: no tests or build files`);
    if (name.startsWith('extension/')) {
      assert.deepEqual(entries.get(name), fs.readFileSync(path.join(ROOT, name.slice('extension/'.length))), `${name}: same bytes`);
    }
  }
  const packed = JSON.parse(entries.get('extension/package.json'));
  assert.ok(entries.has(`extension/${path.posix.normalize(packed.main)}`), 'main is packaged');
  const vsixManifest = entries.get('extension.vsixmanifest').toString();
  assert.match(vsixManifest, new RegExp(`<Identity Language="en-US" Id="${manifest.name}" Version="${manifest.version}" Publisher="${manifest.publisher}" />`));
  assert.match(vsixManifest, /Id="Microsoft.VisualStudio.Code.Engine" Value="\^1\.\d+\.\d+"/);
  assert.match(vsixManifest, /Type="Microsoft.VisualStudio.Code.Manifest" Path="extension\/package.json"/);
  const types = entries.get('[Content_Types].xml').toString();
  for (const ext of ['.json', '.js', '.md', '.vsixmanifest']) assert.match(types, new RegExp(`Extension="\\${ext}"`));

  // And by another reader: Info-ZIP's unzip, when it is installed.
  const listed = spawnSync('unzip', ['-l', target], { encoding: 'utf8' });
  if (listed.error) {
    t.diagnostic('unzip is not installed: checked with our own reader only');
    return;
  }
  assert.equal(listed.status, 0, listed.stderr);
  for (const name of entries.keys()) assert.ok(listed.stdout.includes(name), `unzip -l lists ${name}`);
  const tested = spawnSync('unzip', ['-t', target], { encoding: 'utf8' });
  assert.equal(tested.status, 0, tested.stdout + tested.stderr);
  assert.match(tested.stdout, /No errors detected/);
});
