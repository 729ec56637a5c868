"""Tk/Thonny glue for the ESP32-CAM back-end: proxy, configuration page, helpers."""
