"""Working calendar: Chinese public holidays, 调休 make-up days, lunar festivals, business hours."""
