package redact

import (
	"strings"
	"sync"
)

// What well-known tools take secrets in: short flags (where -p means
// password for this tool and a port for that one), flags of their own,
// positional arguments, and subcommands after which every NAME=VALUE is a
// secret. A tool's rules apply from its name in argv (or in a shell
// string) until another known tool's name.

// valueKind says how a flag's value is redacted.
type valueKind uint8

const (
	kindNone valueKind = iota
	// kindSecret: the whole value.
	kindSecret
	// kindWeak: the whole value, unless it looks like a file path (the
	// name rules' --client-key, *_CREDENTIALS).
	kindWeak
	// kindUserPass: user:pass keeps the user; a bare value is a user name
	// and is kept (curl -u alice prompts), unless it looks like a token.
	kindUserPass
	// kindUserPassLoose is kindUserPass for tools we do not know, where
	// -u 1000:1000 is a uid:gid: an all-digit part after ':' is kept.
	kindUserPassLoose
	// kindUserOrToken: user:pass keeps the user; a bare value is a token
	// (httpie -a TOKEN with -A bearer).
	kindUserOrToken
	// kindUserPct: user%pass (Samba -U).
	kindUserPct
	// kindUserComma: user,pass (lftp -u).
	kindUserComma
	// kindUserSlash: user/pass@db (Oracle sqlplus).
	kindUserSlash
	// kindCookie: name=value cookie data; a bare value is a cookie file.
	kindCookie
	// kindAssignAll: NAME=VALUE keeps NAME, whatever it is.
	kindAssignAll
	// kindOpenSSL: pass:SECRET keeps "pass:"; env:, file:, fd: and stdin
	// name where the secret is and are kept.
	kindOpenSSL
	// kindPolicy marks a flag on the policy's list: upstream's rules have
	// already redacted its value.
	kindPolicy
)

type flagRule struct {
	kind valueKind
	// when lists subcommand words; the rule applies only after one of
	// them (docker login -p, not docker run -p).
	when []string
	// attachedOnly: only -pSECRET; a separate -p takes no value (7z).
	attachedOnly bool
}

func (r flagRule) applies(words []string) bool {
	if len(r.when) == 0 {
		return true
	}
	for _, w := range words {
		for _, x := range r.when {
			if w == x {
				return true
			}
		}
	}
	return false
}

type posMode uint8

const (
	// posAll: every positional after the trigger (cargo login TOKEN).
	posAll posMode = iota
	// posIndex: the positional at index after the trigger.
	posIndex
	// posConfig: KEY VALUE after the trigger; VALUE is a secret when KEY
	// names one (npm config set //r/:_authToken T, aws configure set
	// aws_secret_access_key V, poetry config http-basic.x USER PASS).
	posConfig
)

type posRule struct {
	after []string // trigger words, consecutive; none: right after the tool
	mode  posMode
	index int
	kind  valueKind
}

type toolSpec struct {
	short map[byte]flagRule
	long  map[string]flagRule // lower-case, dashes included
	// bools are short flags without a value that may come first in a
	// cluster (curl -su user:pass).
	bools string
	// singleDash: the tool spells long options with one dash (openssl
	// -passin, keytool -storepass), so "-kfile" is not -k plus "file".
	singleDash bool
	positional []posRule
	// assignAll are subcommand words after which every NAME=VALUE value
	// is a secret (heroku config:set, vault kv put).
	assignAll []string
	// batchFlag: when this short flag is given, the last positional is a
	// password (htpasswd -b).
	batchFlag byte
	// envFlags take one NAME=VALUE whose value may hold blanks (docker
	// -e "DB_PASSWORD=a b"); wholeAssign: every NAME=VALUE argument is
	// one assignment (env NAME=VALUE… CMD).
	envFlags    []string
	wholeAssign bool
}

var (
	secretRule = flagRule{kind: kindSecret}
	loginOnly  = []string{"login"}
)

// tools is built on first use: a program that never scrubs an argv
// (nono-merkle unless it signs) need not pay for it at every start.
var tools = sync.OnceValue(func() map[string]*toolSpec {
	m := map[string]*toolSpec{}
	add := func(spec *toolSpec, names ...string) {
		for _, n := range names {
			m[n] = spec
		}
	}
	add(&toolSpec{short: map[byte]flagRule{'p': secretRule}},
		"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck",
		"mysqlpump", "mysqlsh", "mysqlslap", "mysqlbinlog", "mariadb", "mariadb-dump",
		"mariadb-admin", "mariadb-import", "mariadb-check")
	m["mysqladmin"] = &toolSpec{
		short:      map[byte]flagRule{'p': secretRule},
		positional: []posRule{{after: []string{"password"}, mode: posIndex, index: 0, kind: kindSecret}},
	}
	add(&toolSpec{short: map[byte]flagRule{'p': secretRule}},
		"mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport",
		"mongostat", "mongotop", "mongofiles", "sshpass", "twine", "useradd", "usermod",
		"ncftp", "ncftpput", "ncftpget")
	add(&toolSpec{
		short:    map[byte]flagRule{'p': {kind: kindSecret, when: loginOnly}},
		envFlags: []string{"-e", "--env", "--build-arg"},
	}, "docker", "podman", "nerdctl", "buildah", "finch")
	add(&toolSpec{short: map[byte]flagRule{'p': {kind: kindSecret, when: loginOnly}}},
		"skopeo", "oras", "crane", "regctl", "helm", "singularity", "apptainer", "cosign")
	m["az"] = &toolSpec{
		short: map[byte]flagRule{'p': {kind: kindSecret, when: loginOnly}},
		long:  map[string]flagRule{"--value": {kind: kindSecret, when: []string{"secret"}}},
	}
	m["bw"] = &toolSpec{positional: []posRule{
		{after: []string{"login"}, mode: posIndex, index: 1, kind: kindSecret},
		{after: []string{"unlock"}, mode: posIndex, index: 0, kind: kindSecret},
	}}
	m["env"] = &toolSpec{wholeAssign: true}
	add(&toolSpec{
		short: map[byte]flagRule{'a': secretRule},
		positional: []posRule{
			{after: []string{"AUTH"}, mode: posAll, kind: kindSecret},
			{after: []string{"auth"}, mode: posAll, kind: kindSecret},
		},
	}, "redis-cli", "valkey-cli", "keydb-cli")
	add(&toolSpec{short: map[byte]flagRule{'P': secretRule}},
		"zip", "unzip", "sqlcmd", "bcp", "osql", "tsql", "bsqldb", "freebcp",
		"mosquitto_pub", "mosquitto_sub", "mosquitto_rr")
	add(&toolSpec{short: map[byte]flagRule{'p': {kind: kindSecret, attachedOnly: true}}},
		"7z", "7za", "7zr", "7zz", "rar", "unrar")
	add(&toolSpec{short: map[byte]flagRule{'w': secretRule}},
		"ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami", "ldapcompare",
		"ldapmodrdn", "ldapexop", "ldapurl")
	m["ldappasswd"] = &toolSpec{short: map[byte]flagRule{'w': secretRule, 's': secretRule, 'a': secretRule}}
	add(&toolSpec{short: map[byte]flagRule{'t': secretRule}}, "doctl", "codecov")
	add(&toolSpec{positional: []posRule{{mode: posIndex, index: 2, kind: kindSecret}}}, "isql")
	m["curl"] = &toolSpec{
		short: map[byte]flagRule{
			'u': {kind: kindUserPass}, 'U': {kind: kindUserPass},
			'b': {kind: kindCookie}, 'E': {kind: kindUserPass},
		},
		long: map[string]flagRule{
			"--user": {kind: kindUserPass}, "--proxy-user": {kind: kindUserPass},
			"--cookie": {kind: kindCookie}, "--cert": {kind: kindUserPass},
			"--proxy-cert": {kind: kindUserPass},
		},
		bools: "sSfLkvIiqgNjOZR#012346lnpBGJMV",
	}
	add(&toolSpec{short: map[byte]flagRule{'a': {kind: kindUserOrToken}}, bools: "vbfdFSqIjxchm"},
		"http", "https", "xh", "xhs", "httpie")
	m["ssh-keygen"] = &toolSpec{short: map[byte]flagRule{'N': secretRule, 'P': secretRule}}
	m["openssl"] = &toolSpec{
		short: map[byte]flagRule{'k': secretRule, 'K': secretRule},
		long: map[string]flagRule{
			"-pass": {kind: kindOpenSSL}, "-passin": {kind: kindOpenSSL},
			"-passout": {kind: kindOpenSSL}, "-password": {kind: kindOpenSSL},
		},
		singleDash: true,
	}
	add(&toolSpec{
		long: map[string]flagRule{
			"-storepass": secretRule, "-keypass": secretRule, "-srcstorepass": secretRule,
			"-deststorepass": secretRule, "-srckeypass": secretRule, "-destkeypass": secretRule,
			"-new": secretRule,
		},
		singleDash: true,
	}, "keytool", "jarsigner")
	m["gh"] = &toolSpec{
		short: map[byte]flagRule{'b': {kind: kindSecret, when: []string{"secret"}}},
		long:  map[string]flagRule{"--body": {kind: kindSecret, when: []string{"secret"}}},
	}
	m["aws"] = &toolSpec{
		long:       map[string]flagRule{"--value": {kind: kindSecret, when: []string{"put-parameter"}}},
		positional: []posRule{{after: []string{"configure", "set"}, mode: posConfig}},
	}
	add(&toolSpec{
		positional: []posRule{{after: []string{"login"}, mode: posAll, kind: kindSecret}},
		assignAll:  []string{"put", "patch", "write"},
	}, "vault", "bao")
	add(&toolSpec{positional: []posRule{{after: []string{"login"}, mode: posAll, kind: kindSecret}}}, "cargo")
	add(&toolSpec{positional: []posRule{{after: []string{"auth"}, mode: posAll, kind: kindSecret}}}, "snyk")
	m["ngrok"] = &toolSpec{positional: []posRule{
		{after: []string{"authtoken"}, mode: posAll, kind: kindSecret},
		{after: []string{"add-authtoken"}, mode: posAll, kind: kindSecret},
		{after: []string{"add-api-key"}, mode: posAll, kind: kindSecret},
	}}
	m["cloudflared"] = &toolSpec{positional: []posRule{{after: []string{"service", "install"}, mode: posAll, kind: kindSecret}}}
	add(&toolSpec{positional: []posRule{
		{after: []string{"config", "set"}, mode: posConfig},
		{after: []string{"set"}, mode: posConfig},
	}}, "npm", "yarn", "pnpm", "bun")
	add(&toolSpec{positional: []posRule{{after: []string{"config"}, mode: posConfig}}},
		"poetry", "composer", "git")
	m["pip"] = &toolSpec{positional: []posRule{{after: []string{"config", "set"}, mode: posConfig}}}
	m["pip3"] = m["pip"]
	add(&toolSpec{assignAll: []string{"config:set"}}, "heroku", "dokku")
	add(&toolSpec{assignAll: []string{"secrets"}}, "fly", "flyctl", "doppler", "supabase")
	m["railway"] = &toolSpec{assignAll: []string{"variables"}}
	m["firebase"] = &toolSpec{assignAll: []string{"functions:config:set"}}
	m["netlify"] = &toolSpec{positional: []posRule{{after: []string{"env:set"}, mode: posIndex, index: 1, kind: kindSecret}}}
	m["htpasswd"] = &toolSpec{batchFlag: 'b'}
	m["security"] = &toolSpec{short: map[byte]flagRule{'w': {
		kind: kindSecret, when: []string{"add-generic-password", "add-internet-password"},
	}}}
	m["rabbitmqctl"] = &toolSpec{positional: []posRule{
		{after: []string{"add_user"}, mode: posIndex, index: 1, kind: kindSecret},
		{after: []string{"change_password"}, mode: posIndex, index: 1, kind: kindSecret},
	}}
	add(&toolSpec{
		short: map[byte]flagRule{'U': {kind: kindUserPct}},
		long:  map[string]flagRule{"--user": {kind: kindUserPct}},
	}, "smbclient", "rpcclient", "smbmap", "smbcacls", "smbget", "net")
	m["lftp"] = &toolSpec{short: map[byte]flagRule{'u': {kind: kindUserComma}}}
	add(&toolSpec{positional: []posRule{{mode: posIndex, index: 0, kind: kindUserSlash}}},
		"sqlplus", "rman", "expdp", "impdp", "sqlldr", "exp", "imp", "dgmgrl")
	m["mc"] = &toolSpec{positional: []posRule{
		{after: []string{"alias", "set"}, mode: posIndex, index: 2, kind: kindSecret},
		{after: []string{"alias", "set"}, mode: posIndex, index: 3, kind: kindSecret},
		{after: []string{"host", "add"}, mode: posIndex, index: 2, kind: kindSecret},
		{after: []string{"host", "add"}, mode: posIndex, index: 3, kind: kindSecret},
	}}
	m["nmcli"] = &toolSpec{positional: []posRule{{after: []string{"password"}, mode: posIndex, index: 0, kind: kindSecret}}}
	m["wpa_passphrase"] = &toolSpec{positional: []posRule{{mode: posIndex, index: 1, kind: kindSecret}}}
	m["rclone"] = &toolSpec{positional: []posRule{{after: []string{"obscure"}, mode: posAll, kind: kindSecret}}}
	m["dotnet"] = &toolSpec{short: map[byte]flagRule{'k': {kind: kindSecret, when: []string{"nuget"}}}}
	m["nuget"] = &toolSpec{positional: []posRule{{after: []string{"setapikey"}, mode: posAll, kind: kindSecret}}}
	// Commands without secret rules of their own still end the previous
	// tool's rules: sshpass -p pw ssh -p 2222 host.
	plain := plainTool
	for _, n := range []string{
		"ssh", "scp", "sftp", "rsync", "sudo", "doas", "xargs", "nohup", "timeout",
		"nice", "exec", "time", "watch", "strace", "bash", "sh", "zsh", "dash", "ksh",
		"fish", "python", "python3", "node", "deno", "ruby", "perl", "php", "java",
		"go", "make", "npx", "uvx", "kubectl", "oc", "psql", "pg_dump", "pg_restore",
		"sqlite3", "cat", "echo", "printf", "tar", "gzip", "tee",
	} {
		if _, ok := m[n]; !ok {
			m[n] = plain
		}
	}
	return m
})

// plainTool is the rules of commands without rules of their own.
var plainTool = &toolSpec{}

// lookupTool returns the rules of the tool a word names, by its base name.
func lookupTool(word string) (*toolSpec, bool) {
	if word == "" || word[0] == '-' || strings.IndexByte(word, '=') >= 0 {
		return nil, false
	}
	base := word[strings.LastIndexByte(word, '/')+1:]
	t, ok := tools()[base]
	return t, ok
}

// configKeyPrefixes are config keys whose value is a credential whatever
// the rest of the key says; httpBasic keys take a user, then a password.
var configKeyPrefixes = []string{"github-oauth.", "gitlab-token.", "gitlab-oauth.", "bearer.", "pypi-token."}

const httpBasicPrefix = "http-basic."
