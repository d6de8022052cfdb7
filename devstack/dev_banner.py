"""What ``make dev`` prints once the stack is up: where everything is and how to call it."""

from __future__ import annotations

from devstack.stack import LocalStack

TUNNEL_HELP = """\
To take a real phone call, give both servers fixed ports and a public tunnel each:
  cloudflared tunnel --url http://127.0.0.1:{api_port}      # -> https://<api>.trycloudflare.com
  cloudflared tunnel --url http://127.0.0.1:{media_port}    # -> https://<media>.trycloudflare.com
  (or: ngrok http {api_port} / ngrok http {media_port})
  export TWILIO_AUTH_TOKEN=...    # your Twilio account's auth token: call setup verifies Twilio's signatures with it
  make dev API_PORT={api_port} MEDIA_PORT={media_port} NUMBER=+1YOURTWILIONUMBER \\
      PUBLIC_API_URL=https://<api>.trycloudflare.com PUBLIC_MEDIA_URL=wss://<media>.trycloudflare.com
and in the Twilio console set the number's "A call comes in" webhook to  POST <PUBLIC_API_URL>/twilio/voice
"""
SUGGESTED_PORTS = (8787, 8788)


def print_banner(stack: LocalStack) -> None:
    assert stack.demo is not None and stack.resources is not None
    api, media = stack.api_url, stack.media_url
    api_port, media_port = api.rsplit(":", 1)[1], stack.media_port
    say = stack.console.write
    token_file = stack.options.run_dir / "twilio-auth-token"
    generated = stack.token_source != "TWILIO_AUTH_TOKEN"
    token_option = f"--auth-token-file {token_file}" if generated else "(with TWILIO_AUTH_TOKEN exported)"
    if generated:  # a throwaway token for this run, readable by the simulated caller only through this file
        token_file.touch(mode=0o600)
        token_file.write_text(stack.twilio_auth_token)
    say(f"""
Switchboard is running locally. Ctrl-C stops everything.

  API (gateway)       {api}
    Twilio webhook    POST {stack.options.public_api_url or api}/twilio/voice
    admin API         {api}/v1/  (OpenAPI: {api}/v1/openapi.json)
  media worker        {media}/twilio   (health: http://127.0.0.1:{media_port}/healthz)
  AWS (moto)          {stack.moto_url}
  HubSpot (fake)      {stack.crm.http_url if stack.crm else ''}
  ticket webhook      {stack.webhook.tool_url if stack.webhook else ''}
  providers           {stack.plan.describe()}
  logs                {stack.options.run_dir}/  (worker.log, lambdas.log, moto.log)

  demo tenant {stack.demo.tenant_id}, assistant {stack.demo.assistant_id}, number {stack.demo.number}
  API key             {stack.demo.api_key}
    curl -H "Authorization: Bearer {stack.demo.api_key}" {api}/v1/assistants
  Twilio auth token   {stack.token_source} (never printed)

Place a simulated call from another terminal:
  .venv/bin/python -m switchboard.caller --api {api} --to {stack.demo.number} --from {stack.demo.caller_number} \\
      {token_option} --api-key {stack.demo.api_key}

""")
    fixed = stack.options.api_port and stack.options.media_port
    ports = (api_port, media_port) if fixed else SUGGESTED_PORTS
    say(TUNNEL_HELP.format(api_port=ports[0], media_port=ports[1]))
    stack.console.flush()
