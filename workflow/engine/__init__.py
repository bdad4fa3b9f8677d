"""The approval state machine, as pure Python (no Django): workflow/services.py
applies its decisions to the database and writes the event rows."""
