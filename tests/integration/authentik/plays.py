"""Tasks of the authentik modules run as a playbook against an authentik (the double or the real server)."""
import yaml

from integration.harness.ansible import run_playbook


def run_tasks(server, tmp_path, tasks, check=False, diff=False, name="play.yml", url=None):
    """Run ``tasks`` with the module group's defaults pointing at ``server`` (or ``url``, with its token)."""
    playbook = tmp_path / name
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/zotops.zot.authentik": {
            "authentik_url": "{{ authentik_url }}", "authentik_token": "{{ authentik_token }}"}},
        "tasks": tasks,
    }], sort_keys=False))
    return run_playbook(playbook, extra_vars={"authentik_url": url or server.url, "authentik_token": server.token},
                        check=check, diff=diff)
