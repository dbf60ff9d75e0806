#!/usr/bin/env bash
# Re-fetches GraphiQL and React from the npm registry with `npm pack` (no node_modules, no
# install) and copies their minified browser builds here under versioned names. The gateway
# serves these files itself (src/graphiql.rs), so GraphiQL works on a network without a CDN.
#
# Usage: services/keycare/assets/graphiql/update.sh [GRAPHIQL_VERSION] [REACT_VERSION]
# After a version change: update the file names in src/graphiql.rs and the table in README.md
# (this script prints the integrity values and file digests for it).
set -euo pipefail

graphiql="${1:-3.9.0}"
react="${2:-18.3.1}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent --json "graphiql@$graphiql" "react@$react" "react-dom@$react" > packed.json
node -e '
  for (const p of require("./packed.json")) console.log(`${p.name}@${p.version}  ${p.filename}  ${p.integrity}`);
'
for f in graphiql-"$graphiql".tgz react-"$react".tgz react-dom-"$react".tgz; do
  mkdir -p "${f%.tgz}"
  tar xzf "$f" -C "${f%.tgz}"
done

# The UMD builds: graphiql 3 ships one (window.GraphiQL, with graphql-ws bundled); graphiql 4
# and later ship ES modules only, which would need a bundler or an import map.
rm -f "$here"/graphiql-*.min.js "$here"/graphiql-*.min.css "$here"/react-*.production.min.js
cp "graphiql-$graphiql/package/graphiql.min.js" "$here/graphiql-$graphiql.min.js"
cp "graphiql-$graphiql/package/graphiql.min.css" "$here/graphiql-$graphiql.min.css"
cp "react-$react/package/umd/react.production.min.js" "$here/react-$react.production.min.js"
cp "react-dom-$react/package/umd/react-dom.production.min.js" "$here/react-dom-$react.production.min.js"
cp "graphiql-$graphiql/package/LICENSE" "$here/LICENSE.graphiql"
cp "react-$react/package/LICENSE" "$here/LICENSE.react"

cd "$here"
sha256sum graphiql-*.min.js graphiql-*.min.css react-*.production.min.js
