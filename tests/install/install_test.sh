#!/usr/bin/env bash
# Installs a build into a scratch DESTDIR with `cmake --install BUILD --prefix /usr` and checks
# what a user gets there:
#   - the layout: bin/netadmit, bin/kubectl-netadmit (a link to it), completions, man page,
#     share/netadmit (manifests, certificate script, rule set), share/doc/netadmit;
#   - `netadmit version -o json` reports this build's version, commit and build type;
#   - kubectl-netadmit runs `check` (exit 1 and the finding on a bad manifest, 0 on a good one,
#     with the installed rule set too), names itself `kubectl netadmit` in its help, and, when
#     kubectl is installed, runs as `kubectl netadmit`;
#   - the bash completion loads in a bare bash (no bash-completion package) and completes
#     subcommands, flags and flag values; the zsh one parses, when zsh is installed;
#   - `man -l` renders the man page without warnings, with every subcommand in it.
# Usage: install_test.sh BUILD_DIR CONFIG SOURCE_DIR VERSION COMMIT BUILD_TYPE
set -euo pipefail

build="$1" config="$2" source="$3" version="$4" commit="$5" build_type="$6"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

config_args=()
if [ -n "$config" ]; then
  config_args=(--config "$config")
fi
DESTDIR="$scratch/root" cmake --install "$build" --prefix /usr "${config_args[@]}" \
  >"$scratch/install.log" || { cat "$scratch/install.log" >&2; exit 1; }
usr="$scratch/root/usr"
bin="$usr/bin"

for path in bin/netadmit share/bash-completion/completions/netadmit \
  share/bash-completion/completions/kubectl-netadmit share/zsh/site-functions/_netadmit \
  share/man/man1/netadmit.1 share/netadmit/manifests/base/kustomization.yaml \
  share/netadmit/manifests/overlays/cert-manager/kustomization.yaml \
  share/netadmit/certs/netadmit-certs.sh share/netadmit/rules/default-rules.yaml \
  share/doc/netadmit/README.md share/doc/netadmit/docs/rules.md; do
  [ -e "$usr/$path" ] || fail "not installed: $path"
done
[ -x "$bin/netadmit" ] || fail "bin/netadmit is not executable"
[ -x "$usr/share/netadmit/certs/netadmit-certs.sh" ] || fail "netadmit-certs.sh is not executable"
[ "$(readlink "$bin/kubectl-netadmit")" = netadmit ] ||
  fail "bin/kubectl-netadmit is not a link to netadmit"
if [ "$failures" -ne 0 ]; then
  exit 1
fi

# version
expected="{\"version\":\"$version\",\"gitCommit\":\"$commit\",\"buildType\":\"$build_type\"}"
actual="$("$bin/netadmit" version -o json)"
[ "$actual" = "$expected" ] || fail "version -o json: got $actual, expected $expected"

# check, under the plugin's name
bad="$source/tests/fixtures/manifests/open-egress.yaml"
good="$source/tests/fixtures/manifests/good-networkpolicy.yaml"
expect_check() {  # exit-code needle args...
  local want="$1" needle="$2" status=0 out
  shift 2
  out="$("$@" 2>&1)" || status=$?
  [ "$status" -eq "$want" ] || fail "$* exited $status, expected $want: $out"
  [[ "$out" == *"$needle"* ]] || fail "$* printed no \"$needle\": $out"
}
expect_check 1 "[no-open-egress]" "$bin/kubectl-netadmit" check -f "$bad"
expect_check 1 "[no-open-egress]" "$bin/kubectl-netadmit" check -f "$bad" \
  --rules "$usr/share/netadmit/rules/default-rules.yaml"
expect_check 0 "0 denied" "$bin/kubectl-netadmit" check -f "$good"
expect_check 0 "kubectl netadmit" "$bin/kubectl-netadmit" --help
if command -v kubectl >/dev/null; then
  expect_check 1 "[no-open-egress]" env PATH="$bin:$PATH" kubectl netadmit check -f "$bad"
fi

# bash completion, in a bash without bash-completion and without startup files
completion="$usr/share/bash-completion/completions/netadmit"
complete_line() {  # words... (the last one is being completed) -> the candidates, one a line
  bash --norc --noprofile -c '
    source "$1" || exit 3
    shift
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    complete -p kubectl-netadmit >/dev/null || exit 4
    _netadmit
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$completion" "$@"
}
expect_completion() {  # expected-candidates words...
  local want="$1" got
  shift
  got="$(complete_line "$@" | tr '\n' ' ')"
  [ "$got" = "$want " ] || fail "completing '$*': got '$got', expected '$want '"
}
expect_completion "serve" netadmit se
expect_completion "check completion" netadmit c
expect_completion "--threads --tls-cert --tls-key" netadmit serve --t
expect_completion "allow deny" netadmit serve --on-error ""
expect_completion "dot json table text" kubectl-netadmit reach --from x -o ""
expect_completion "bash zsh" netadmit completion ""
expect_completion "--help" netadmit completion --h
expect_completion "--rules --rules-configmaps" netadmit serve --rul
expect_completion "$bad" netadmit check -f "$(dirname "$bad")/open-eg"

if command -v zsh >/dev/null; then
  zsh -n "$usr/share/zsh/site-functions/_netadmit" || fail "the zsh completion does not parse"
fi

# man page
if command -v man >/dev/null; then
  page="$(MANWIDTH=100 MANPAGER=cat man --warnings -l "$usr/share/man/man1/netadmit.1" \
    2>"$scratch/man.err" | col -b | tr -s '[:space:]' ' ')"  # words, however lines wrap
  [ ! -s "$scratch/man.err" ] || fail "man -l warns: $(cat "$scratch/man.err")"
  for needle in "netadmit - validating admission webhook" "netadmit serve" "netadmit check" \
    "netadmit reach" "--tls-cert" "Exit status: 0 no deny finding" "netadmit $version"; do
    [[ "$page" == *"$needle"* ]] || fail "the man page has no \"$needle\""
  done
else
  echo "man is not installed: the man page goes unrendered"
fi

[ "$failures" -eq 0 ]
