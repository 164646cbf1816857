// `jupyter labextension build` runs `jlpm` (yarn) in the extension folder when it has no
// node_modules/, which in this npm workspace would try to re-install everything with yarn.
// npm hoists our dependencies to the repository root, and the builder finds them (and
// @jupyterlab/builder) by walking up, so an empty extension/node_modules/ is all it needs.
require('node:fs').mkdirSync(require('node:path').join(__dirname, '..', 'node_modules'), { recursive: true });
