"""Live monitoring: SCADA sources (OPC UA, Modbus TCP, MQTT, replay) and the monitoring loop.

Entry points: :func:`thermowatch.ingest.monitor.run_monitor` (the ``thermowatch monitor``
daemon) and :mod:`thermowatch.ingest.simulator` (``thermowatch simulate-scada``).
"""
