# Sourced by bin/syncline for `demo`: builds the web SDK (clients/web) and the demo app (demo/)
# with npm when needed. build_demo_web ROOT returns 0 when demo/dist is ready to serve; otherwise
# it prints why to stderr and returns 1 (the demo then runs the API without the web app).

# True when DIR's build output MARKER is missing or older than any of the given sources.
_stale() {
  local marker="$1"; shift
  [ ! -f "$marker" ] && return 0
  [ -n "$(find "$@" -newer "$marker" -type f -print -quit 2>/dev/null)" ]
}

# npm ci when node_modules is missing or older than the lockfile, then npm run build.
_npm_build() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "syncline: npm ci in ${dir#"$2"/} ..." >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2 || return 1
  fi
  echo "syncline: npm run build in ${dir#"$2"/} ..." >&2
  (cd "$dir" && npm run --silent build) >&2
}

build_demo_web() {
  local root="$1" sdk="$1/clients/web" app="$1/demo"
  local sdk_sources=("$sdk/src" "$sdk/package.json" "$sdk/package-lock.json" "$sdk/build.mjs")
  local app_sources=("$app/src" "$app/package.json" "$app/package-lock.json" "$app/build.mjs" "$sdk/dist/worker.js" "$sdk/dist/index.js")
  local need_sdk=false need_app=false
  _stale "$sdk/dist/index.js" "${sdk_sources[@]}" && need_sdk=true
  if [ "$need_sdk" = true ] || _stale "$app/dist/index.html" "${app_sources[@]}"; then need_app=true; fi
  if [ "$need_app" = false ]; then
    return 0
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "syncline: the demo web app is not built and node/npm are not on PATH: install Node.js 20+ (with npm)" >&2
    echo "syncline: and run bin/syncline demo again; starting the API without the web app." >&2
    return 1
  fi
  if [ "$need_sdk" = true ] && ! _npm_build "$sdk" "$root"; then
    echo "syncline: building the web SDK in clients/web failed (see above); starting the API without the web app." >&2
    return 1
  fi
  if ! _npm_build "$app" "$root"; then
    echo "syncline: building the demo app in demo/ failed (see above); starting the API without the web app." >&2
    return 1
  fi
}
