/**
 * Languages that run on a virtual machine or an interpreter (issue 14): Java
 * and Kotlin from the jvm toolchain image, the rest from the base image.
 */
import type { LanguageSpec } from './languages.ts';
import { jvmCompilerOptions, jvmOptions, monoEnv } from './memory-models.ts';

/** Where the Java compile stage leaves the name of the class to run (its package included). */
const JAVA_MAIN_CLASS_FILE = '.runplane-main-class';

/**
 * Programs run as users write them: javac wants a public class in a file of
 * its name, so the entry is renamed after its first public top-level type
 * (`HelloWorld` as well as Judge0's `Main`), or, with no public type, after the
 * first type it declares; that type, in its package, is the one run.
 * $1: the entry, the rest: other sources; JVM options come before them.
 */
const JAVA_COMPILE = `set -e
entry="$1"; shift
type='((final|abstract|sealed|non-sealed|strictfp|static)[[:space:]]+)*(class|record|enum|interface)[[:space:]]+([A-Za-z_$][A-Za-z0-9_$]*)'
main=$(sed -nE "s/^[[:space:]]*public[[:space:]]+$type.*/\\\\4/p" "$entry" | head -n1)
[ -n "$main" ] || main=$(sed -nE "s/^[[:space:]]*$type.*/\\\\4/p" "$entry" | head -n1)
[ -n "$main" ] || { echo "no class, record, enum or interface found in $entry" >&2; exit 1; }
dir=$(dirname "$entry")
if [ "$dir" = . ]; then target="$main.java"; else target="$dir/$main.java"; fi
if [ "$entry" != "$target" ] && [ ! -e "$target" ]; then mv "$entry" "$target"; entry="$target"; fi
package=$(sed -nE 's/^[[:space:]]*package[[:space:]]+([A-Za-z0-9_.]+)[[:space:]]*;.*/\\1/p' "$entry" | head -n1)
javac $JAVAC_OPTIONS -encoding UTF-8 -d . "$entry" "$@"
printf '%s' "\${package:+$package.}$main" > ${JAVA_MAIN_CLASS_FILE}`;

/** Kotlin puts top-level functions of `main.kt` in the class `MainKt`. */
function kotlinClassOf(entry: string): string {
  const base = entry.slice(entry.lastIndexOf('/') + 1).replace(/\.kts?$/, '');
  return `${base.charAt(0).toUpperCase()}${base.slice(1).replace(/[^A-Za-z0-9_]/g, '_')}Kt`;
}

/**
 * The compiler is started directly rather than through Debian's `kotlinc` script, whose
 * preloader reads the whole 97 MB compiler jar into the heap first: measured here on a
 * one-line file, cgroup peak 272 MB (runc) and 293 MB (runsc, over the 288 MB of a
 * 256 MB gVisor sandbox, whose OOM killer then ended the sandbox now and then) against
 * 118 MB and 137 MB this way, 1.5 s instead of 1.8 s with runc (4.3–4.9 s against 3.7 s
 * under gVisor, where the jar is read class by class through its file proxy).
 * The jar's manifest names its libraries relative to kotlinc/lib, which the JVM does not
 * find through Debian's symlinks, so they are listed here.
 */
const KOTLIN_HOME = '/usr/share/kotlin/kotlinc';
const KOTLIN_COMPILER_CLASSPATH = ['kotlin-compiler', 'trove4j', 'kotlin-stdlib', 'kotlin-reflect', 'kotlin-script-runtime', 'annotations-13.0']
  .map((jar) => `${KOTLIN_HOME}/lib/${jar}.jar`).join(':');

/**
 * The BEAM with one scheduler (and one of each dirty kind) that sleeps instead of
 * spinning when idle: a job has one CPU, and by default the schedulers busy-wait,
 * which counts as the job's CPU time. Measured here, an Elixir hello reading a line:
 * under gVisor 1.3–1.5 s wall and 3.2–3.6 s of CPU by default, 0.73–0.90 s and
 * 0.67–0.80 s with these; with runc 0.32 → 0.30 s wall, 0.31 → 0.27 s CPU.
 */
const BEAM_OPTIONS = '+S 1:1 +SDcpu 1:1 +SDio 1 +sbwt none +sbwtdcpu none +sbwtdio none';

const JVM_OUT_OF_MEMORY = /java\.lang\.OutOfMemoryError/;

export const VM_LANGUAGES: Record<'java' | 'kotlin' | 'csharp' | 'ruby' | 'php' | 'perl' | 'lua' | 'r' | 'sql' | 'elixir', LanguageSpec> = {
  java: {
    id: 'java',
    name: 'Java (OpenJDK)',
    aliases: ['jdk', 'openjdk'],
    toolchain: 'jvm',
    sourceFile: 'Main.java',
    compiles: /\.java$/,
    compile: (sources, context) => [
      'env', `JAVAC_OPTIONS=${jvmCompilerOptions(context?.memoryMb ?? 256).map((o) => `-J${o}`).join(' ')}`,
      'sh', '-c', JAVA_COMPILE, 'javac', ...sources,
    ],
    run: (_entry, context) => ['sh', '-c', `exec java ${jvmOptions(context?.memoryMb ?? 256).join(' ')} -cp . "$(cat ${JAVA_MAIN_CLASS_FILE})" "$@"`, 'java'],
    version: ['sh', '-c', 'java -version 2>&1 | head -n1'],
    outOfMemory: JVM_OUT_OF_MEMORY,
  },
  kotlin: {
    id: 'kotlin',
    name: 'Kotlin (JVM)',
    aliases: ['kt'],
    toolchain: 'jvm',
    sourceFile: 'main.kt',
    compiles: /\.kt$/,
    compile: (sources, context) => ['java', ...jvmCompilerOptions(context?.memoryMb ?? 256), '-cp', KOTLIN_COMPILER_CLASSPATH, 'org.jetbrains.kotlin.cli.jvm.K2JVMCompiler', '-kotlin-home', KOTLIN_HOME, '-nowarn', '-d', '.', ...sources],
    run: (entry, context) => ['java', ...jvmOptions(context?.memoryMb ?? 256), '-cp', '.:/usr/share/java/kotlin-stdlib.jar', kotlinClassOf(entry)],
    // kotlinc calls itself 1.3-SNAPSHOT; Debian's package knows the release.
    version: ['sh', '-c', 'echo "Kotlin $(dpkg-query -W -f "\\${Version}" kotlin | cut -d+ -f1)"'],
    outOfMemory: JVM_OUT_OF_MEMORY,
  },
  csharp: {
    id: 'csharp',
    name: 'C# (Mono)',
    aliases: ['cs', 'c#', 'mono'],
    sourceFile: 'main.cs',
    compiles: /\.cs$/,
    compile: (sources) => ['mcs', '-optimize+', '-out:main.exe', ...sources],
    run: (_entry, context) => ['env', ...monoEnv(context?.memoryMb ?? 256), 'mono', 'main.exe'],
    version: ['sh', '-c', 'mono --version | head -n1'],
    outOfMemory: /System\.OutOfMemoryException/,
  },
  ruby: {
    id: 'ruby',
    name: 'Ruby',
    aliases: ['rb'],
    sourceFile: 'main.rb',
    run: (entry) => ['ruby', entry],
    version: ['ruby', '--version'],
    outOfMemory: /failed to allocate memory \(NoMemoryError\)/,
  },
  php: {
    id: 'php',
    name: 'PHP',
    aliases: [],
    sourceFile: 'main.php',
    // PHP's own memory_limit would end a program before the cgroup does: let the job's limit decide.
    run: (entry) => ['php', '-d', 'memory_limit=-1', entry],
    version: ['php', '--version'],
  },
  perl: {
    id: 'perl',
    name: 'Perl',
    aliases: ['pl'],
    sourceFile: 'main.pl',
    run: (entry) => ['perl', entry],
    version: ['perl', '-e', 'print "perl $^V\\n"'],
  },
  lua: {
    id: 'lua',
    name: 'Lua',
    aliases: [],
    sourceFile: 'main.lua',
    run: (entry) => ['lua5.4', entry],
    version: ['lua5.4', '-v'],
  },
  r: {
    id: 'r',
    name: 'R',
    aliases: ['rscript'],
    sourceFile: 'main.R',
    run: (entry) => ['Rscript', entry],
    version: ['sh', '-c', 'Rscript --version 2>&1 | head -n1'],
    outOfMemory: /cannot allocate vector of size/,
  },
  sql: {
    id: 'sql',
    name: 'SQL (SQLite)',
    aliases: ['sqlite', 'sqlite3'],
    sourceFile: 'main.sql',
    // The source is a script run against an empty in-memory database; stdin is not read
    // (sqlite3 given a command reads no input) and arguments are ignored.
    run: (entry) => ['sh', '-c', 'exec sqlite3 -bail -batch :memory: ".read $0"', entry],
    version: ['sh', '-c', 'echo "SQLite $(sqlite3 --version | cut -d" " -f1)"'],
  },
  elixir: {
    id: 'elixir',
    name: 'Elixir',
    aliases: ['exs', 'ex'],
    sourceFile: 'main.exs',
    run: (entry) => ['env', `ELIXIR_ERL_OPTIONS=${BEAM_OPTIONS}`, 'elixir', entry],
    version: ['sh', '-c', 'elixir --version | tail -n1'],
  },
};
