"""The pure domain: rules, the plan, calendars, reply review. No I/O."""
