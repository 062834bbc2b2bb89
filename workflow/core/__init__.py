"""What every part of Crier stands on: settings (validated at start-up), the
database and its unit of work, domain errors, London time, text rules, the
credentials vault, and the runtime a process holds."""
