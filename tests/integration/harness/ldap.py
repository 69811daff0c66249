"""A real slapd with a small directory: people, and groups kept in their memberOf."""
import secrets
import subprocess
from pathlib import Path

from .process import ManagedProcess, free_port

BASE_DN = "dc=zotops,dc=test"
# user -> groups; groupOfNames entries under ou=groups, memberOf maintained by the overlay.
USERS = {"alice": ["admins"], "ci-bot": ["artifact-workloads"], "bob": []}
GROUPS = ["admins", "artifact-workloads"]

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {workdir}/slapd.pid
database mdb
suffix "{base}"
rootdn "cn=admin,{base}"
rootpw {root_password}
directory {workdir}/data
maxsize 104857600
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
"""


class LdapServer:
    base_dn = BASE_DN
    users_dn = f"ou=people,{BASE_DN}"
    groups_dn = f"ou=groups,{BASE_DN}"

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        self.root_password = secrets.token_urlsafe(12)
        self.passwords = {user: secrets.token_urlsafe(12) for user in USERS}
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.bind_dn = f"cn=admin,{BASE_DN}"
        self.bind_password = self.root_password
        conf = self.workdir / "slapd.conf"
        conf.write_text(SLAPD_CONF.format(workdir=self.workdir, base=BASE_DN, root_password=self.root_password))
        # -d keeps slapd in the foreground so the harness owns (and stops) the process.
        self.process = ManagedProcess("slapd", ["/usr/sbin/slapd", "-f", conf, "-h", self.url, "-d", "256"], self.workdir)

    def user_dn(self, user):
        return f"uid={user},{self.users_dn}"

    def password_for(self, user):
        return self.passwords[user]

    def start(self, timeout=30):
        self.process.start()
        self.process.wait_until(lambda: self._ldap("ldapsearch", "-b", BASE_DN, "-s", "base").returncode in (0, 32),
                                timeout, "LDAP answer")
        self._ldap("ldapadd", input=self._directory_ldif(), check=True)
        return self

    def stop(self):
        self.process.stop()

    def _directory_ldif(self):
        entries = [f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: zotops\no: zotops\n",
                   f"dn: {self.users_dn}\nobjectClass: organizationalUnit\nou: people\n",
                   f"dn: {self.groups_dn}\nobjectClass: organizationalUnit\nou: groups\n"]
        for user in USERS:
            entries.append(f"dn: {self.user_dn(user)}\nobjectClass: inetOrgPerson\nuid: {user}\ncn: {user}\n"
                           f"sn: {user}\nmail: {user}@zotops.test\nuserPassword: {self.passwords[user]}\n")
        for group in GROUPS:
            members = "".join(f"member: {self.user_dn(u)}\n" for u, groups in USERS.items() if group in groups)
            entries.append(f"dn: cn={group},{self.groups_dn}\nobjectClass: groupOfNames\ncn: {group}\n{members}")
        return "\n".join(entries)

    def _ldap(self, tool, *args, input=None, check=False):
        return subprocess.run([tool, "-x", "-H", self.url, "-D", self.bind_dn, "-w", self.bind_password, *args],
                              input=input, capture_output=True, text=True, timeout=30, check=check)

    def search(self, *args):
        return self._ldap("ldapsearch", "-LLL", "-b", BASE_DN, *args, check=True).stdout
