package sandbox

// The default profile on Linux, as upstream names its groups. Paths that
// do not exist are skipped.

// systemRead is granted read-only (and execute) to every command.
var systemRead = group{"system_read_linux_core", []string{
	"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin",
	"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64",
	"/usr/share",
	"/etc/resolv.conf", "/run/systemd/resolve", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf",
	"/etc/ssl", "/etc/pki", "/etc/ca-certificates", "/etc/crypto-policies",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/localtime", "/etc/timezone", "/etc/locale.conf", "/etc/alternatives",
	"/etc/os-release", "/etc/services",
}}

// systemReadExtra is nono's addition to upstream's read set: files a
// careful user expects every program to read, all world-readable and
// none of them a secret (docs/SANDBOX.md says why each):
//   - /dev/urandom, /dev/random: random bytes for OpenSSL, Node, the JVM
//     and scripts (`head -c 8 /dev/urandom`);
//   - /etc/passwd, /etc/group: names of users and groups (`ls -l`, `id`,
//     git's author fallback, Python's pwd); password hashes live in
//     /etc/shadow, which stays out of reach;
//   - /etc/protocols, /etc/host.conf: the resolver's tables
//     (getprotobyname, Python's socket.getprotobyname);
//   - /etc/gitconfig: git refuses to run when it exists but cannot be read;
//   - /etc/mime.types: Python's mimetypes raises when it cannot read it;
//   - /etc/locale.alias: setlocale's aliases.
var systemReadExtra = group{"nono_system_read", []string{
	"/dev/urandom", "/dev/random",
	"/etc/passwd", "/etc/group",
	"/etc/protocols", "/etc/host.conf",
	"/etc/gitconfig", "/etc/mime.types", "/etc/locale.alias",
}}

// systemWrite is granted read-write. Upstream's group also names /tmp and
// $TMPDIR, which a session replaces with its private temporary directory,
// and /dev/stdout, /dev/stderr, /dev/fd and /proc/self/fd: links into
// /proc/self, which need no rule (an open through them is checked against
// the file they name) and which, resolved in the supervisor, would name
// the supervisor's own descriptors.
var systemWrite = group{"system_write_linux", []string{
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/pts",
}}

// denyGroups are never reachable, whatever the flags (upstream's required
// deny groups); "~/" is the home directory.
var denyGroups = []group{
	{"deny_credentials", []string{
		"~/.ssh", "~/.gnupg", "~/.aws", "~/.azure", "~/.config/gcloud", "~/.gcloud", "~/.kube",
		"~/.docker", "~/.git-credentials", "~/.netrc", "~/.npmrc", "~/.vault-token",
		"~/.credentials", "~/.secrets", "~/.keys", "~/.pki", "~/.terraform.d", "~/.config/op",
	}},
	{"deny_keychains_linux", []string{
		"~/.password-store", "~/.1password", "~/.op", "~/.local/share/keyrings",
	}},
	{"deny_browser_data_linux", []string{
		"~/.config/google-chrome", "~/.config/chromium", "~/.mozilla/firefox",
		"~/.config/microsoft-edge", "~/.config/BraveSoftware", "~/.config/vivaldi", "~/.config/opera",
	}},
	{"deny_shell_history", []string{
		"~/.bash_history", "~/.zsh_history", "~/.history", "~/.python_history",
	}},
	{"deny_shell_configs", []string{
		"~/.bashrc", "~/.bash_profile", "~/.bash_login", "~/.bash_logout", "~/.profile",
		"~/.zshrc", "~/.zprofile", "~/.zshenv", "~/.zlogin", "~/.zlogout",
		"~/.config/fish", "~/.env", "~/.envrc",
	}},
}

type group struct {
	name  string
	paths []string
}
