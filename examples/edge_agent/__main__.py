"""``python -m examples.edge_agent --config agent.toml``: run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from examples.edge_agent.agent import Agent
from examples.edge_agent.buffer import Outbox
from examples.edge_agent.config import ConfigError, config_load
from examples.edge_agent.uplink import Uplink


async def _main(config_path: str) -> int:
    try:
        config = config_load(config_path)
    except ConfigError as error:
        print(f"edge agent: {error}", file=sys.stderr)
        return 2
    outbox = Outbox(config.platform.buffer)
    uplink = Uplink(
        broker=config.platform.broker,
        workshop=config.platform.workshop,
        key_id=config.platform.key_id,
        outbox=outbox,
    )
    agent = Agent(config, outbox, wake=uplink.wake)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    uplink.start()
    try:
        await agent.run(stop)
    finally:
        uplink.stop()
        left = len(outbox)
        outbox.close()
        logging.info("Stopped; %d event(s) kept on disk for the next start.", left)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.edge_agent")
    parser.add_argument("--config", required=True, help="the agent's TOML file")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    return asyncio.run(_main(args.config))


if __name__ == "__main__":
    raise SystemExit(main())
