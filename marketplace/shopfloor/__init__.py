"""The shop floor reports for itself: MQTT intake, device keys, the live machine view."""
