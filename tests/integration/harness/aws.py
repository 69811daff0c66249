"""moto's server: a real AWS Secrets Manager endpoint on loopback."""
from .env import venv_bin
from .process import ManagedProcess, free_port


class MotoServer:
    region = "us-east-1"
    access_key = "testing"
    secret_key = "testing"

    def __init__(self, workdir):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.process = ManagedProcess("moto", [venv_bin("moto_server"), "-H", "127.0.0.1", "-p", self.port], workdir)

    def start(self, timeout=60):
        self.process.start()
        self.process.wait_http(f"{self.endpoint_url}/moto-api/", timeout=timeout)
        return self

    def stop(self):
        self.process.stop()

    @property
    def env(self):
        """Environment for AWS SDK clients (and ansible-playbook) aimed at this server."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region,
                "AWS_ENDPOINT_URL": self.endpoint_url}

    def client(self, service="secretsmanager"):
        import boto3
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)
