"""Cloud Factory edge agent: reads a workshop's machines on its own network and reports them to
the platform over MQTT, buffering on disk while the link is down (see README.md).

Standard library, paho-mqtt and asyncua only: no Django, nothing of the platform's code.
"""
