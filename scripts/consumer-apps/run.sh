#!/usr/bin/env bash
# Packs nest-cache-aside (npm pack) and installs the tarball into two throwaway apps made by
# Nest 12's own generator (@nestjs/schematics:application, from this repo's node_modules):
# ESM + Vitest (the generator's default) and CommonJS + Jest. Each gets only what the
# generator puts in it, minus its lint/CLI tooling, plus the README's install line
# (`npm i nest-cache-aside redis`) and @nestjs/config (its forRootAsync example), and the
# README's quick start (app/src/products) in its src/. Then, for
# each redis major (5 and 6; swapped in place, installs are reused): type-check the app,
# the generator's e2e command over our specs, and single-copy.mjs under plain Node.
#
# Env: REDIS_URL (redis://127.0.0.1:6379), REDIS_MAJORS ("5 6"), CONSUMER_APPS_DIR (a temp
# folder, removed at the end unless given), CONSUMER_NODE_DIRS (colon-separated folders of node
# binaries to run the apps' tests with; default: the node on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
majors=${REDIS_MAJORS:-"5 6"}
if [ -n "${CONSUMER_APPS_DIR:-}" ]; then
  work=$CONSUMER_APPS_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d -t nest-cache-aside-consumers.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
npm_quiet=(--no-audit --no-fund --prefer-offline --loglevel=error)
started=$SECONDS
step() { echo "== [$((SECONDS - started))s] $*"; }

step "npm pack (prepack builds the library)"
tarball=$(cd "$repo/libs/cache-aside" && npm pack --pack-destination "$work" --silent)
tarball=$work/$tarball
tar -tzf "$tarball" >"$work/tarball-files.txt"
grep -q '^package/dist/scripts/read-or-lease\.lua$' "$work/tarball-files.txt"
if grep -E '\.spec\.|/test/|/apps/|/src/' "$work/tarball-files.txt"; then
  echo "the tarball holds tests or sources (above)" >&2
  exit 1
fi

make_app() { # esm|cjs
  local type=$1 app=$work/$1-app
  rm -rf "$app"
  (cd "$work" && "$repo/node_modules/.bin/schematics" @nestjs/schematics:application \
    --name="$type-app" --type="$type" --observe=false --no-dry-run >/dev/null)
  # keep what the tests need; the generator's linters, formatter and CLI are not exercised here
  node -e '
    const fs = require("fs"); const file = process.argv[1]; const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    for (const name of ["@nestjs/cli", "@nestjs/mau", "@nestjs/schematics", "oxlint", "oxlint-tsgolint", "prettier",
      "source-map-support", "ts-loader", "@vitest/coverage-v8"]) delete pkg.devDependencies[name];
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$app/package.json"
  # the README's quick start (its code blocks are these files, test/readme-quick-start.spec.ts
  # checks it) beside the generator's src/, and the specs that exercise it
  cp -R "$here/app/src/." "$app/src/"
  cp "$here"/*.e2e-spec.ts "$app/test/"
  if [ "$type" = cjs ]; then
    # relative imports without '.js', as the generator's CommonJS template writes them (Jest's
    # resolver doesn't map './x.js' to './x.ts'); the README shows the ESM app's form
    sed -i -E "s#(from '\.{1,2}/[^']*)\.js'#\1'#" "$app"/src/products/*.ts "$app"/test/*.e2e-spec.ts
  fi
  cp "$here/single-copy.mjs" "$app/"
  (cd "$app" && npm install "${npm_quiet[@]}" >/dev/null &&
    npm install "${npm_quiet[@]}" "$tarball" "redis@^5.12.0" @nestjs/config >/dev/null)
}

step "generate and install the ESM + Vitest app and the CommonJS + Jest app (in parallel)"
make_app esm & esm_pid=$!
make_app cjs & cjs_pid=$!
wait $esm_pid
wait $cjs_pid

failed=()
run() { # label, app, command...
  local label=$1 app=$2; shift 2
  if (cd "$work/$app" && "$@") >"$work/$label.log" 2>&1; then
    step "ok   $label"
  else
    step "FAIL $label (log below)"
    sed 's/^/    /' "$work/$label.log"
    failed+=("$label")
  fi
}

node_is_24_9_plus() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 24 || (a === 24 && b >= 9) ? 0 : 1)'; }
original_path=$PATH
for major in $majors; do
  for type in esm cjs; do
    (cd "$work/$type-app" && npm install "${npm_quiet[@]}" --no-save "redis@^$major" >/dev/null)
    version=$(cd "$work/$type-app" && node -p 'require("redis/package.json").version')
    step "$type app, redis $version"
    run "$type-redis$major-types" "$type-app" npx tsc --noEmit -p tsconfig.json
    IFS=: read -ra node_dirs <<<"${CONSUMER_NODE_DIRS:-$(dirname "$(command -v node)")}"
    for node_dir in "${node_dirs[@]}"; do
      export PATH=$node_dir:$original_path
      node_version=$(node -v)
      if [ "$type" = cjs ] && ! node_is_24_9_plus; then
        # Nest 12's CommonJS template runs Jest with require(esm), which Jest supports from
        # Node 24.9: on older Node the generator's own app.e2e-spec fails the same way.
        step "skip $type app on Node $node_version (the generator's Jest setup needs Node 24.9+)"
        continue
      fi
      run "$type-redis$major-node${node_version%%.*}-e2e" "$type-app" npm run test:e2e
      run "$type-redis$major-node${node_version%%.*}-native" "$type-app" node single-copy.mjs
    done
    export PATH=$original_path
  done
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "consumer apps: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "consumer apps: all green ($((SECONDS - started))s)"
