// Runs vscode-tmgrammar-test on the sample .dlm files with the DLM grammar and the
// grammars it embeds (YAML for frontmatter, Markdown + Python for fenced code, taken
// from the MIT-licensed tm-grammars package). Markdown's fenced-code rule names ~60
// other languages; their "grammar not found" notices are dropped, everything else is
// passed through, and the exit code is kept.
'use strict';

const { spawnSync } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const grammars = path.join(root, 'node_modules', 'tm-grammars', 'grammars');
const bin = require.resolve('vscode-tmgrammar-test/dist/unit.js', { paths: [root] });
const args = [
  bin,
  '-g', path.join(root, 'syntaxes', 'dlm.tmLanguage.json'),
  '-g', path.join(grammars, 'yaml.json'),
  '-g', path.join(grammars, 'markdown.json'),
  '-g', path.join(grammars, 'python.json'),
  'test/grammar/*.dlm',
];
const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
const keep = (text) =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('grammar not found for'))
    .join('\n');
process.stdout.write(keep(run.stdout ?? ''));
process.stderr.write(keep(run.stderr ?? ''));
process.exit(run.status ?? 1);
