#!/usr/bin/env python3
# Builds and runs every example of the README against an installed coop; a README example that fails fails here.
#
# usage: readme.py README.md PREFIX WORKDIR   (PKG_CONFIG_PATH and PATH must lead to PREFIX's coop)
#
# Every ```c block is compiled with the pkg-config modules its includes call for and run with no
# arguments.  An HTML comment right before a block, <!-- test: ITEM; ITEM -->, says more:
#   file NAME   also save the block as NAME, for the blocks after it
#   run ARGS    run a C block with these arguments; for meson and cmake blocks, run this command
#   sh          run the block with bash, after every other block, all in one shell
#   meson       build the block as the body of a meson project holding the saved files
#   cmake       build the block as the body of a CMake project holding the saved files
import os
import re
import shlex
import shutil
import subprocess
import sys

readme, prefix, work = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []
done = 0


def run(cmd, cwd, what, timeout=300):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, shell=isinstance(cmd, str))
    if r.returncode != 0:
        failures.append(f"{what}: {cmd if isinstance(cmd, str) else shlex.join(cmd)} exited {r.returncode}\n{r.stdout}")
    return r.returncode == 0


def pkg_flags(mods):
    out = subprocess.run(["pkg-config", "--cflags", "--libs"] + mods, stdout=subprocess.PIPE, text=True, check=True)
    libdir = subprocess.run(["pkg-config", "--variable=libdir", "coop"], stdout=subprocess.PIPE, text=True,
                            check=True).stdout.strip()
    return shlex.split(out.stdout) + [f"-Wl,-rpath,{libdir}"]


def modules_for(src):
    if "<coop/cli.h>" in src:
        return ["coop-cli"]
    mods = []
    if re.search(r"<coop/(sim|net|scenario|trace-convert)[a-z-]*\.h>", src):
        mods.append("coop-sim")
    if "<coop/sim-criterion.h>" in src:
        mods.append("criterion")
    if "<coop/sim-check.h>" in src:
        mods.append("check")
    return mods or ["coop"]


# The blocks, each with its README line and its directives.
blocks = []
lines = open(readme).read().split("\n")
i = 0
directive = None
while i < len(lines):
    line = lines[i]
    m = re.match(r"^<!-- test: (.*) -->$", line)
    if m:
        directive = [item.strip() for item in m.group(1).split(";")]
        i += 1
        continue
    m = re.match(r"^```(\w*)$", line)
    if m:
        start = i + 1
        j = start
        while lines[j] != "```":
            j += 1
        blocks.append((start, m.group(1), "\n".join(lines[start:j]) + "\n", directive or []))
        directive = None
        i = j + 1
        continue
    if line.strip():
        directive = None
    i += 1

saved = {}
shell = []
for lineno, lang, body, items in blocks:
    where = f"README.md:{lineno}"
    opts = {}
    for item in items:
        key, _, value = item.partition(" ")
        opts[key] = value
    if "file" in opts:
        saved[opts["file"]] = body
        with open(os.path.join(work, opts["file"]), "w") as f:
            f.write(body)
    if lang == "c":
        name = f"block-{lineno}"
        src = os.path.join(work, name + ".c")
        with open(src, "w") as f:
            f.write(body)
        cc = ["cc", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror", src, "-o",
              os.path.join(work, name)] + pkg_flags(modules_for(body))
        if run(cc, work, where + " (build)"):
            run([os.path.join(work, name)] + shlex.split(opts.get("run", "")), work, where + " (run)", 60)
        done += 1
    elif lang == "sh" and "sh" in opts:
        shell.append(f"echo '# {where}'\n{body}")
    elif lang in ("meson", "cmake") and lang in opts:
        proj = os.path.join(work, f"{lang}-{lineno}")
        os.makedirs(proj)
        for fname, text in saved.items():
            with open(os.path.join(proj, fname), "w") as f:
                f.write(text)
        build = os.path.join(proj, "build")
        if lang == "meson":
            with open(os.path.join(proj, "meson.build"), "w") as f:
                f.write("project('readme', 'c')\n" + body)
            ok = run(["meson", "setup", build, proj], proj, where + " (meson setup)") and \
                run(["ninja", "-C", build], proj, where + " (ninja)")
        else:
            with open(os.path.join(proj, "CMakeLists.txt"), "w") as f:
                f.write("cmake_minimum_required(VERSION 3.16)\nproject(readme C)\n" + body)
            ok = run(["cmake", "-S", proj, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}"], proj,
                     where + " (cmake)") and run(["cmake", "--build", build], proj, where + " (cmake --build)")
        if ok and "run" in opts:
            run(opts["run"], build, where + " (run)", 60)
        done += 1

if shell:
    run(["bash", "-euo", "pipefail", "-c", "\n".join(shell)], work, "README.md sh blocks", 300)
    done += len(shell)

for f in failures:
    print(f"FAIL {f}")
print(f"README: {done} examples built and run, {len(failures)} failed")
sys.exit(1 if failures else 0)
