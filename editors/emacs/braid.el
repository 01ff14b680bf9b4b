;;; braid.el --- Supervise Braid's coding agents from Emacs  -*- lexical-binding: t -*-

;; Copyright (C) 2026  The Braid authors

;; Author: The Braid authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: tools, processes, vc
;; URL: https://example.invalid/braid

;; This file is not part of GNU Emacs.

;;; Commentary:

;; Braid supervises several AI coding agents working in parallel on one
;; git repository and keeps `main' green while they do it.  This package
;; drives it from Emacs: it starts `braid serve' in the repository (which
;; reaches the repository's daemon, starting it when none runs) and talks
;; JSON-RPC to it with the built-in jsonrpc.el.
;;
;; Commands:
;;
;;   M-x braid-status          the board (*braid-board*), updated as tasks change
;;   M-x braid-add             add a task (the active region is its body;
;;                             with C-u, write title and body in a buffer)
;;   M-x braid-run             dispatch from the board until nothing can start
;;   M-x braid-diff            a task's patch in a `diff-mode' buffer
;;   M-x braid-log             a session's log, then its output as it comes
;;   M-x braid-open-worktree   Dired in a task's worktree
;;   M-x braid-events          the *braid-events* buffer
;;   M-x braid-shutdown        end the session (agents go on in the daemon)
;;
;; In the board: RET detail, s start, c cancel, r retry, a approve,
;; x reject, m merge, d diff, l log, o open worktree, A abandon,
;; + add, R run, g refresh.
;;
;; Notifications go to the echo area and to *braid-events*.  An escalated
;; task is asked about with `completing-read' (Retry, Reassign, Abandon);
;; the choice is answered to the server, which acts on it.  The global
;; minor mode `braid-mode' shows running, queued and blocked counts in
;; the mode line.
;;
;; Bind the command map to a prefix of your choice, for example:
;;
;;   (global-set-key (kbd "C-c b") braid-command-map)

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'subr-x)
(require 'tabulated-list)

(defconst braid-version "0.1.0"
  "The version of braid.el.")

;;;; Options

(defgroup braid nil
  "Supervise Braid's coding agents."
  :group 'tools
  :prefix "braid-")

(defcustom braid-executable "braid"
  "The braid executable: a name looked up in the variable `exec-path', or a file."
  :type 'string)

(defcustom braid-root nil
  "The repository to supervise, or nil for the one around `default-directory'.
A task worktree stands for the repository that owns it."
  :type '(choice (const :tag "The repository of the current buffer" nil)
                 directory))

(defcustom braid-request-timeout 30
  "Seconds to wait for the server's answer to a request."
  :type 'number)

(defcustom braid-escalation-ask-details t
  "Whether an escalation answered Retry or Reassign asks for more.
Retry then asks for guidance for the agent, Reassign for an agent's
name; an empty answer leaves it to the server."
  :type 'boolean)

(defcustom braid-log-tail (* 256 1024)
  "How many bytes of a session's log `braid-log' shows to begin with."
  :type 'integer)

(defcustom braid-rpc-log-size 0
  "Characters of JSON-RPC traffic kept in the *braid-rpc events* buffer.
0 keeps none, nil keeps everything."
  :type '(choice (const :tag "Everything" nil) integer))

(defface braid-done '((t :inherit success))
  "Face of the Done section in the board.")

(defface braid-blocked '((t :inherit error))
  "Face of the Blocked section in the board.")

(defface braid-review '((t :inherit warning))
  "Face of the Review section in the board.")

(defface braid-in-progress '((t :inherit font-lock-keyword-face))
  "Face of the In Progress section in the board.")

;;;; State

(defvar braid--connection nil
  "The JSON-RPC connection to `braid serve', or nil.")

(defvar braid--process nil
  "The `braid serve' process of `braid--connection'.")

(defvar braid--root nil
  "The repository `braid--connection' serves, a directory name.")

(defvar braid--tasks (make-hash-table)
  "The tasks the server told of: id -> task plist (see `task/list').")

(defvar braid--progress (make-hash-table :test #'equal)
  "Titles of the `$/progress' tokens under way: token -> title.")

(defvar braid--own-tokens nil
  "The progress tokens this client gave `supervisor/run'.")

(defvar braid--token-counter 0
  "Numbers the progress tokens of `braid-run'.")

(defvar braid--stopping nil
  "Non-nil while `braid-shutdown' ends the session.")

(defvar braid-last-exit-status nil
  "The exit status of the last `braid serve' that ended.")

(defvar braid-tasks-changed-hook nil
  "Run after the known tasks changed (a `task/changed' or a reload).")

(defvar-local braid--buffer-task nil
  "The task a Braid buffer is about.")

(defvar-local braid--log-session nil
  "The session whose output the log buffer shows.")

(defvar-local braid--log-next nil
  "The byte offset in the session's log that the buffer shows up to.")

(defvar-local braid--log-pending nil
  "Output told while the log was being read, newest first, or t.
t means nothing is pending and output goes straight in.")

(defconst braid--no-workspace -32012
  "The error code of a request made outside a Braid repository.")

(defconst braid--sections
  '(("todo" "Todo" nil)
    ("inProgress" "In Progress" braid-in-progress)
    ("review" "Review" braid-review)
    ("blocked" "Blocked" braid-blocked)
    ("done" "Done" braid-done))
  "The board's sections, in order: name, title, face.")

(defun braid--{} ()
  "An empty JSON object."
  (make-hash-table))

;;;; The connection

(defclass braid-rpc-connection (jsonrpc-process-connection) ()
  :documentation "A connection to `braid serve'.
Answers to the server's requests may be given later, outside the
process filter: see `braid--later'.")

(cl-defstruct (braid--later (:constructor braid--later (function)))
  "Returned by the request dispatcher: FUNCTION computes the answer later."
  function)

(cl-defmethod jsonrpc-connection-send ((conn braid-rpc-connection)
                                       &key id result
                                       &allow-other-keys)
  "Send a message on CONN, unless it answers request ID later.
When RESULT is a `braid--later', its function is run from a timer,
out of the process filter, so that it may ask the user; its value is
then sent as the answer (or an error, when it fails)."
  (if (and id (braid--later-p result))
      (run-at-time 0 nil #'braid--answer-later conn id
                   (braid--later-function result))
    (cl-call-next-method)))

(defun braid--answer-later (conn id function)
  "Answer request ID on CONN with the value of FUNCTION.
Should FUNCTION be cut short (a command's own wait for an answer ends
while the user is being asked), it is asked again a moment later."
  (let ((sent nil))
    (unwind-protect
        (let ((answer (condition-case err
                          (list :result (funcall function))
                        (error (list :error
                                     (list :code -32603
                                           :message (error-message-string err)))))))
          (when (jsonrpc-running-p conn)
            (apply #'jsonrpc-connection-send conn :id id answer))
          (setq sent t))
      (when (and (not sent) (jsonrpc-running-p conn))
        (run-at-time 0.5 nil #'braid--answer-later conn id function)))))

(defun braid--find-root (&optional directory)
  "The repository around DIRECTORY (default `default-directory'), or nil.
In a linked worktree, the checkout that owns it."
  (let* ((dir (expand-file-name (or directory default-directory)))
         (top (locate-dominating-file dir ".git")))
    (when top
      (let ((dotgit (expand-file-name ".git" top)))
        (or (and (file-regular-p dotgit)
                 (with-temp-buffer
                   (insert-file-contents dotgit)
                   (and (re-search-forward
                         "^gitdir: *\\(.*\\)/\\.git/worktrees/[^/\n]+/?$" nil t)
                        (file-name-as-directory
                         (expand-file-name (match-string 1) top)))))
            (file-name-as-directory (expand-file-name top)))))))

(defun braid--live-p ()
  "Whether the connection to `braid serve' is up."
  (and braid--connection (jsonrpc-running-p braid--connection)))

(defun braid--current-root ()
  "The repository the current command is about."
  (let ((root (if braid-root
                  (file-name-as-directory (expand-file-name braid-root))
                (braid--find-root))))
    (or root
        (and (braid--live-p) braid--root)
        (user-error "Braid: %s is not inside a git repository"
                    (abbreviate-file-name default-directory)))))

(defun braid--ensure ()
  "The connection for the current repository, started when needed."
  (let ((root (braid--current-root)))
    (cond ((and (braid--live-p) (equal root braid--root)) braid--connection)
          (t (when (braid--live-p)
               (message "Braid: leaving %s for %s"
                        (abbreviate-file-name braid--root)
                        (abbreviate-file-name root))
               (braid-shutdown))
             (braid--connect root)))))

(defun braid--connect (root)
  "Start `braid serve' in ROOT, initialize it, and load the tasks."
  (let* ((default-directory root)
         (program (or (executable-find braid-executable)
                      (user-error "Braid: cannot find the executable `%s' (see `braid-executable')"
                                  braid-executable)))
         (conn (make-instance
                'braid-rpc-connection
                :name "braid-rpc"
                :events-buffer-scrollback-size braid-rpc-log-size
                :notification-dispatcher #'braid--dispatch-notification
                :request-dispatcher #'braid--dispatch-request
                :on-shutdown #'braid--on-shutdown
                :process
                (lambda ()
                  (setq braid--process
                        (make-process
                         :name "braid-rpc"
                         :command (list program "serve")
                         :connection-type 'pipe
                         :coding 'utf-8-emacs-unix
                         :noquery t
                         :stderr (get-buffer-create "*braid-rpc stderr*")))))))
    (setq braid--connection conn
          braid--root root
          braid--stopping nil
          braid--own-tokens nil)
    (clrhash braid--tasks)
    (clrhash braid--progress)
    (condition-case err
        (progn
          (jsonrpc-request
           conn 'initialize
           (list :processId (emacs-pid)
                 :clientInfo (list :name "braid.el" :version braid-version)
                 :rootPath (directory-file-name root)
                 :capabilities (list :window
                                     (list :showMessage (braid--{}))))
           :timeout braid-request-timeout)
          (jsonrpc-notify conn 'initialized (braid--{})))
      (error
       (when (process-live-p braid--process) (delete-process braid--process))
       (setq braid--connection nil)
       (let ((stderr (jsonrpc-stderr-buffer conn)))
         (user-error "Braid: `%s serve' did not start: %s%s" program
                     (if (eq (car err) 'jsonrpc-error) (braid--error-message err)
                       (error-message-string err))
                     (if (buffer-live-p stderr)
                         (with-current-buffer stderr
                           (let ((text (string-trim (buffer-string))))
                             (if (string-empty-p text) ""
                               (concat "\n" (car (last (split-string text "\n")))))))
                       "")))))
    (add-hook 'kill-emacs-hook #'braid--kill-emacs)
    (braid-mode 1)
    (braid--event nil "connected to %s" (abbreviate-file-name root))
    (braid--reload-tasks)
    conn))

(defun braid--on-shutdown (conn)
  "Note that `braid serve' of CONN ended."
  (when (eq conn braid--connection)
    (setq braid-last-exit-status (and braid--process
                                      (process-exit-status braid--process)))
    (unless braid--stopping
      (braid--event t "braid serve exited with status %s" braid-last-exit-status))
    (force-mode-line-update t)))

(defun braid-shutdown ()
  "End the session with `braid serve': shutdown, then exit.
Agents, gates and merges go on in the repository's daemon."
  (interactive)
  (let ((conn braid--connection)
        (process braid--process))
    (when (and conn (jsonrpc-running-p conn))
      (setq braid--stopping t)
      (unwind-protect
          (progn
            (ignore-errors (jsonrpc-request conn 'shutdown nil :timeout 10))
            (ignore-errors (jsonrpc-notify conn 'exit nil))
            (with-timeout (10 nil)
              (while (process-live-p process)
                (accept-process-output process 0.05)))
            ;; Let the sentinel run, or end the process.
            (jsonrpc-shutdown conn))
        (setq braid--stopping nil)))
    (when (eq conn braid--connection)
      (setq braid--connection nil))
    (force-mode-line-update t)
    (when (called-interactively-p 'interactive)
      (message "Braid: session ended (status %s)" braid-last-exit-status))))

(defun braid--kill-emacs ()
  "End the session as Emacs exits."
  (when (braid--live-p)
    (ignore-errors (braid-shutdown))))

(defun braid--error-message (err)
  "The server's message in the `jsonrpc-error' ERR."
  (or (alist-get 'jsonrpc-error-message (cdr err))
      (error-message-string err)))

(defun braid--request (method &optional params timeout)
  "Ask the server METHOD with PARAMS (a plist), wait for its result.
Wait at most TIMEOUT seconds (default `braid-request-timeout').  A
failure is a `user-error' with the server's message."
  (let ((conn (braid--ensure)))
    (condition-case err
        (jsonrpc-request conn method (or params (braid--{}))
                         :timeout (or timeout braid-request-timeout))
      (jsonrpc-error
       (user-error "Braid: %s: %s" method (braid--error-message err))))))

(defun braid-request (method &optional params timeout)
  "Send the request METHOD with PARAMS to `braid serve'; return its result.
METHOD is a symbol (for example `task/list'), PARAMS a plist.  Waits at
most TIMEOUT seconds (default `braid-request-timeout')."
  (braid--request method params timeout))

;;;; Tasks

(defun braid--store-task (task)
  "Remember TASK (a task plist); return it."
  (puthash (plist-get task :id) task braid--tasks)
  task)

(defun braid--reload-tasks ()
  "Load every task from the server."
  (condition-case err
      (let ((result (jsonrpc-request braid--connection 'task/list (braid--{})
                                     :timeout braid-request-timeout)))
        (clrhash braid--tasks)
        (mapc #'braid--store-task (plist-get result :tasks)))
    (jsonrpc-error
     (clrhash braid--tasks)
     (if (eql (alist-get 'jsonrpc-error-code (cdr err)) braid--no-workspace)
         (braid--event t "%s is not a Braid repository yet: M-x braid-init sets it up"
                       (abbreviate-file-name braid--root))
       (braid--event t "task/list: %s" (braid--error-message err)))))
  (braid--tasks-changed))

(defun braid-task (id)
  "The task ID as last told by the server, a plist, or nil."
  (gethash id braid--tasks))

(defun braid-tasks ()
  "Every known task, in board order."
  (let (tasks)
    (maphash (lambda (_id task) (push task tasks)) braid--tasks)
    (sort tasks #'braid--board-order-p)))

(defun braid--section-rank (task)
  "The position of TASK's section on the board."
  (or (cl-position (plist-get task :section) braid--sections
                   :key #'car :test #'equal)
      (length braid--sections)))

(defun braid--board-order-p (a b)
  "Whether task A comes before task B on the board."
  (let ((ra (braid--section-rank a)) (rb (braid--section-rank b)))
    (if (= ra rb)
        (< (plist-get a :id) (plist-get b :id))
      (< ra rb))))

(defun braid--section-title (section)
  "The board's title of SECTION, propertized with its face."
  (let ((entry (assoc section braid--sections)))
    (if entry
        (propertize (nth 1 entry) 'face (nth 2 entry))
      (or section ""))))

(defun braid--tasks-changed ()
  "Redraw the board and the mode line, and run `braid-tasks-changed-hook'."
  (let ((board (get-buffer "*braid-board*")))
    (when board
      (with-current-buffer board
        (braid--board-redraw))))
  (force-mode-line-update t)
  (run-hooks 'braid-tasks-changed-hook))

(defun braid--task-at-point ()
  "The id of the task under point in a Braid buffer, or nil."
  (cond ((bound-and-true-p braid--buffer-task) braid--buffer-task)
        ((derived-mode-p 'braid-board-mode) (tabulated-list-get-id))))

(defun braid--read-task (prompt)
  "The task under point, else one read with PROMPT."
  (or (braid--task-at-point)
      (progn
        (braid--ensure)
        (let* ((choices (mapcar (lambda (task)
                                  (cons (format "#%d %s  (%s)" (plist-get task :id)
                                                (plist-get task :title)
                                                (plist-get task :section))
                                        (plist-get task :id)))
                                (braid-tasks)))
               (answer (completing-read prompt choices nil nil nil nil nil)))
          (or (cdr (assoc answer choices))
              (and (string-match "\\`#?\\([0-9]+\\)" answer)
                   (string-to-number (match-string 1 answer)))
              (user-error "Braid: no such task: %s" answer))))))

;;;; Notifications

(defun braid--dispatch-notification (_conn method params)
  "Act on the server's notification METHOD with PARAMS."
  (condition-case-unless-debug err
      (pcase method
        ('task/changed (braid--on-task-changed params))
        ('session/output (braid--on-session-output params))
        ('session/exited (braid--on-session-exited params))
        ('gate/result (braid--on-gate-result params))
        ('merge/landed (braid--on-merge-landed params))
        ('merge/refused (braid--on-merge-refused params))
        ('$/progress (braid--on-progress params))
        ('window/showMessage (braid--on-show-message params))
        ('window/logMessage
         (braid--event nil "%s" (plist-get params :message))))
    (error (braid--event nil "error handling %s: %s" method
                         (error-message-string err)))))

(defun braid--on-task-changed (params)
  "A task changed (PARAMS of `task/changed')."
  (let* ((id (plist-get params :id))
         (task (plist-get params :task))
         (old (gethash id braid--tasks)))
    (if (null task)
        (progn (remhash id braid--tasks)
               (braid--event nil "#%d removed" id))
      (braid--store-task task)
      (let ((session (plist-get task :runningSession)))
        (when session
          (dolist (buffer (braid--log-buffers id))
            (with-current-buffer buffer
              (unless (or (listp braid--log-pending) (equal session braid--log-session))
                (braid--log-start-session session 0))))))
      (unless (equal (plist-get old :section) (plist-get task :section))
        (braid--event nil "#%d %s: %s" id (plist-get task :title)
                      (braid--section-title (plist-get task :section)))))
    (braid--tasks-changed)))

(defun braid--on-gate-result (params)
  "A gate ran (PARAMS of `gate/result')."
  (let ((task (plist-get params :task)))
    (if (eq (plist-get params :passed) t)
        (braid--event t "#%d: gate passed" task)
      (braid--event t "#%d: gate failed at %s: %s" task
                    (or (plist-get params :failedStep) "a step")
                    (braid--first-line (plist-get params :summary))))))

(defun braid--on-merge-landed (params)
  "The merge queue landed a task (PARAMS of `merge/landed')."
  (let ((commit (plist-get params :commit)))
    (braid--event t "#%d landed%s" (plist-get params :task)
                  (cond ((eq (plist-get params :alreadyLanded) t)
                         " (its work was already there)")
                        (commit (format " as %s" (substring commit 0 (min 10 (length commit)))))
                        (t "")))))

(defun braid--on-merge-refused (params)
  "The merge queue sent a task back (PARAMS of `merge/refused')."
  (braid--event t "#%d sent back by the merge queue (%s): %s"
                (plist-get params :task) (plist-get params :reason)
                (braid--first-line (plist-get params :detail))))

(defun braid--on-session-exited (params)
  "A session ended (PARAMS of `session/exited')."
  (let ((task (plist-get params :task))
        (session (plist-get params :session)))
    (braid--event nil "#%d: session %s ended (%s%s)" task session
                  (plist-get params :reason)
                  (cond ((plist-get params :exitCode)
                         (format ", exit code %s" (plist-get params :exitCode)))
                        ((plist-get params :signal)
                         (format ", signal %s" (plist-get params :signal)))
                        (t "")))
    (dolist (buffer (braid--log-buffers task))
      (with-current-buffer buffer
        (unless (listp braid--log-pending)
          (unless (equal braid--log-session session)
            (braid--log-start-session session 0))
          (braid--log-insert
           (format "%s[session %s ended: %s]\n"
                   (if (eq (char-before (point-max)) ?\n) "" "\n")
                   session (plist-get params :reason))))))))

(defun braid--on-progress (params)
  "Work under way (PARAMS of `$/progress')."
  (let* ((token (plist-get params :token))
         (value (plist-get params :value))
         (kind (plist-get value :kind))
         (own (member token braid--own-tokens))
         (title (or (plist-get value :title) (gethash token braid--progress) "Braid"))
         (message (plist-get value :message)))
    (pcase kind
      ("begin" (puthash token title braid--progress))
      ("end" (remhash token braid--progress)
       (setq braid--own-tokens (delete token braid--own-tokens))))
    (braid--event own "%s%s%s" title (if message ": " "") (or message ""))))

(defun braid--on-show-message (params)
  "Tell what the server said (PARAMS of `window/showMessage')."
  (let ((type (plist-get params :type)))
    (braid--event t "%s%s" (pcase type (1 "error: ") (2 "warning: ") (_ ""))
                  (plist-get params :message))))

(defun braid--first-line (text)
  "The first non-empty line of TEXT."
  (let ((lines (split-string (or text "") "\n" t "[ \t\r]+")))
    (or (car lines) "")))

;;;; The server's requests: escalations

(defun braid--dispatch-request (_conn method params)
  "Answer the server's request METHOD with PARAMS."
  (pcase method
    ('window/showMessageRequest
     (braid--later (lambda () (braid--ask params))))
    ('client/ping params)
    (_ (jsonrpc-error :code -32601
                      :message (format "method not found: %s" method)))))

(defun braid--ask (params)
  "Ask the user what to do about an escalation (PARAMS of the request).
Returns the chosen action item, or nil when dismissed."
  (let* ((message (plist-get params :message))
         (titles (mapcar (lambda (item) (plist-get item :title))
                         (plist-get params :actions)))
         (enable-recursive-minibuffers t)
         (answer
          (condition-case nil
              (let* ((inhibit-quit nil)
                     (choice (completing-read
                              (format "Braid: %s.  Choose (%s): "
                                      (string-trim-right (braid--first-line message) "[.]")
                                      (string-join titles ", "))
                              titles nil t)))
                (when (member choice titles)
                  (let ((item (list :title choice)))
                    (when braid-escalation-ask-details
                      (pcase choice
                        ("Retry"
                         (let ((text (read-string "Guidance for the retry (empty: none): ")))
                           (unless (string-empty-p (string-trim text))
                             (setq item (append item (list :guidance text))))))
                        ("Reassign"
                         (let ((agent (read-string "Reassign to agent (empty: the next one configured): ")))
                           (unless (string-empty-p (string-trim agent))
                             (setq item (append item (list :agent (string-trim agent)))))))))
                    item)))
            (quit nil))))
    (braid--event nil "%s: answered %s" (braid--first-line message)
                  (if answer (plist-get answer :title) "nothing (dismissed)"))
    answer))

;;;; Events and the mode line

(defun braid--events-buffer ()
  "The *braid-events* buffer."
  (or (get-buffer "*braid-events*")
      (with-current-buffer (get-buffer-create "*braid-events*")
        (special-mode)
        (buffer-disable-undo)
        (when braid--root (setq default-directory braid--root))
        (current-buffer))))

(defun braid--event (echo format-string &rest args)
  "Note an event: FORMAT-STRING with ARGS, in the echo area when ECHO."
  (let ((text (apply #'format format-string args)))
    (with-current-buffer (braid--events-buffer)
      (let ((inhibit-read-only t)
            (follow (mapcar (lambda (window) (cons window (= (window-point window) (point-max))))
                            (get-buffer-window-list (current-buffer) nil t))))
        (save-excursion
          (goto-char (point-max))
          (insert (format-time-string "[%H:%M:%S] ") text "\n"))
        (dolist (entry follow)
          (when (cdr entry) (set-window-point (car entry) (point-max))))))
    (when echo
      (message "Braid: %s" text))
    text))

(defun braid-events ()
  "Show the *braid-events* buffer."
  (interactive)
  (pop-to-buffer (braid--events-buffer)))

(defun braid-counts ()
  "The numbers of running, queued and blocked tasks, a plist."
  (let ((running 0) (queued 0) (blocked 0))
    (maphash (lambda (_id task)
               (when (or (plist-get task :runningSession)
                         (equal (plist-get task :section) "inProgress"))
                 (cl-incf running))
               (when (eq (plist-get task :queued) t) (cl-incf queued))
               (when (equal (plist-get task :section) "blocked") (cl-incf blocked)))
             braid--tasks)
    (list :running running :queued queued :blocked blocked)))

(defun braid-mode-line-string ()
  "The mode line's lighter: \" Braid[R1 Q0 B2]\", or \" Braid[-]\"."
  (if (not (braid--live-p))
      " Braid[-]"
    (let ((counts (braid-counts)))
      (format " Braid[R%d Q%d B%d]" (plist-get counts :running)
              (plist-get counts :queued) (plist-get counts :blocked)))))

(defvar braid--lighter
  '(:eval (propertize (braid-mode-line-string)
                      'help-echo "Braid: running, queued and blocked tasks\nmouse-1: the board"
                      'mouse-face 'mode-line-highlight
                      'local-map (let ((map (make-sparse-keymap)))
                                   (define-key map [mode-line mouse-1] #'braid-status)
                                   map)))
  "The mode-line construct of `braid-mode'.")
(put 'braid--lighter 'risky-local-variable t)

;;;###autoload
(define-minor-mode braid-mode
  "Show Braid's running, queued and blocked tasks in the mode line.
R is the number of running tasks, Q of those waiting in the merge
queue, B of the blocked ones; \"[-]\" means no session with
`braid serve'.  Connecting turns the mode on."
  :global t
  :group 'braid
  :lighter braid--lighter)

;;;; Commands

;;;###autoload
(defun braid-connect ()
  "Start a session with `braid serve' for the current repository."
  (interactive)
  (braid--ensure)
  (when (called-interactively-p 'interactive)
    (message "Braid: connected to %s" (abbreviate-file-name braid--root))))

;;;###autoload
(defun braid-init (test-command)
  "Make the current repository a Braid repository, with TEST-COMMAND as gate.
An empty TEST-COMMAND lets Braid detect the project's test command."
  (interactive (list (read-string "Test command (empty: detect it): ")))
  (let ((result (braid--request 'workspace/init
                                (if (string-empty-p test-command)
                                    (braid--{})
                                  (list :testCommand test-command)))))
    ;; The session that opened before the repository was set up hears of
    ;; nothing: start afresh.
    (braid-shutdown)
    (braid--ensure)
    (message "Braid: set up in %s (board %s)" (plist-get result :root)
             (plist-get result :board))))

;;;###autoload
(defun braid-add (title &optional body)
  "Add a task called TITLE with BODY to Todo; return the task.
Interactively, the active region is the body; with a prefix
argument, a buffer opens to write the title (first line) and the
body (the rest) in, and \\<braid-compose-mode-map>\\[braid-compose-finish] adds the task."
  (interactive
   (if current-prefix-arg
       (progn (braid-compose) (list nil))
     (list (read-string "Task title: ")
           (and (use-region-p)
                (buffer-substring-no-properties (region-beginning) (region-end))))))
  (when title
    (when (string-empty-p (string-trim title))
      (user-error "Braid: a task needs a title"))
    (let ((task (braid--request 'task/add
                                (append (list :title (string-trim title))
                                        (and body (not (string-empty-p body))
                                             (list :body body))))))
      (braid--store-task task)
      (braid--tasks-changed)
      (message "Braid: added #%d %s" (plist-get task :id) (plist-get task :title))
      task)))

(defvar braid-compose-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'braid-compose-finish)
    (define-key map (kbd "C-c C-k") #'braid-compose-cancel)
    map)
  "Keys of `braid-compose-mode'.")

(define-minor-mode braid-compose-mode
  "Write a new task: the first line is its title, the rest its body.
\\<braid-compose-mode-map>\\[braid-compose-finish] adds it, \\[braid-compose-cancel] drops it."
  :lighter " Braid-Task"
  :keymap braid-compose-mode-map)

(defun braid-compose ()
  "Open a buffer to write a new task in."
  (interactive)
  (let ((root (braid--current-root)))
    (pop-to-buffer (get-buffer-create "*braid-new-task*"))
    (setq default-directory root)
    (unless (derived-mode-p 'text-mode) (text-mode))
    (braid-compose-mode 1)
    (when (= (buffer-size) 0)
      (insert "\n\n"))
    (goto-char (point-min))
    (message "%s" (substitute-command-keys
                   "Title on the first line, body below; \\<braid-compose-mode-map>\\[braid-compose-finish] adds the task, \\[braid-compose-cancel] drops it"))))

(defun braid-compose-finish ()
  "Add the task written in this buffer."
  (interactive)
  (let* ((text (buffer-string))
         (newline (string-search "\n" text))
         (title (string-trim (if newline (substring text 0 newline) text)))
         (body (string-trim (if newline (substring text (1+ newline)) ""))))
    (braid-add title body)
    (let ((buffer (current-buffer)))
      (quit-window nil)
      (kill-buffer buffer))))

(defun braid-compose-cancel ()
  "Drop the task written in this buffer."
  (interactive)
  (let ((buffer (current-buffer)))
    (quit-window nil)
    (kill-buffer buffer)))

;;;###autoload
(defun braid-run ()
  "Dispatch tasks from the board until nothing more can start."
  (interactive)
  (let* ((token (format "braid.el/run/%d" (cl-incf braid--token-counter)))
         (_ (braid--ensure))
         (result (progn (push token braid--own-tokens)
                        (braid--request 'supervisor/run (list :workDoneToken token)))))
    (message "Braid: the supervisor is %s" (plist-get result :mode))
    result))

(defun braid--act (method id &optional params done)
  "Ask METHOD about task ID with PARAMS; echo DONE."
  (let ((result (braid--request method (append (list :task id) params))))
    (when (and (plist-get result :id) (plist-get result :section))
      (braid--store-task result)
      (braid--tasks-changed))
    (when done (message "Braid: #%d %s" id done))
    result))

(defun braid-start (id)
  "Start a session for task ID."
  (interactive (list (braid--read-task "Start task: ")))
  (let ((result (braid--act 'session/start id)))
    (message "Braid: #%d started (session %s)" id (plist-get result :session))))

(defun braid-cancel (id)
  "Cancel the running session of task ID."
  (interactive (list (braid--read-task "Cancel the session of task: ")))
  (braid--act 'session/cancel id nil "cancelled"))

(defun braid-retry (id &optional guidance)
  "Retry task ID, telling its agent GUIDANCE (optional)."
  (interactive
   (let ((id (braid--read-task "Retry task: ")))
     (list id (read-string (format "Guidance for #%d (empty: none): " id)))))
  (braid--act 'task/retry id
              (and guidance (not (string-empty-p guidance)) (list :guidance guidance))
              "retried"))

(defun braid-reassign (id agent)
  "Give task ID to AGENT."
  (interactive
   (let ((id (braid--read-task "Reassign task: ")))
     (list id (read-string (format "Reassign #%d to agent: " id)))))
  (braid--act 'task/reassign id (list :agent agent) (format "reassigned to %s" agent)))

(defun braid-approve (id)
  "Approve task ID (in Review) for landing."
  (interactive (list (braid--read-task "Approve task: ")))
  (braid--act 'task/approve id nil "approved"))

(defun braid-reject (id feedback)
  "Send task ID back to its agent with FEEDBACK."
  (interactive
   (let ((id (braid--read-task "Reject task: ")))
     (list id (read-string (format "What should #%d change? " id)))))
  (when (string-empty-p (string-trim feedback))
    (user-error "Braid: say what to change"))
  (braid--act 'task/reject id (list :feedback feedback) "sent back with feedback"))

(defun braid-abandon (id)
  "Abandon task ID: its worktree and branch are removed."
  (interactive (list (braid--read-task "Abandon task: ")))
  (when (or (not (called-interactively-p 'any))
            (yes-or-no-p (format "Abandon #%d (its worktree and branch go)? " id)))
    (braid--act 'task/abandon id nil "abandoned")))

(defun braid-merge (id)
  "Queue task ID for landing on the base branch."
  (interactive (list (braid--read-task "Merge task: ")))
  (let ((result (braid--request 'merge/enqueue (list :tasks (vector id)))))
    (message "Braid: #%d queued for landing" id)
    result))

;;;###autoload
(defun braid-diff (id)
  "Show the change of task ID in a `diff-mode' buffer; return the buffer.
While the task has a worktree this is everything in it against its
merge base; once landed, the landed commit."
  (interactive (list (braid--read-task "Diff of task: ")))
  (let* ((result (braid--request 'task/diff (list :task id)))
         (root braid--root)
         (buffer (get-buffer-create (format "*braid-diff #%d*" id))))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (or (plist-get result :patch) ""))
        (diff-mode)
        (setq default-directory root)
        (setq-local braid--buffer-task id)
        (setq buffer-read-only t)
        (set-buffer-modified-p nil)
        (goto-char (point-min))))
    (when (= (buffer-size buffer) 0)
      (message "Braid: #%d has no change" id))
    (pop-to-buffer buffer)
    buffer))

;;;###autoload
(defun braid-open-worktree (id)
  "Open Dired in the worktree of task ID."
  (interactive (list (braid--read-task "Open the worktree of task: ")))
  (let* ((result (braid--request 'worktree/list))
         (entry (cl-find id (plist-get result :worktrees)
                         :key (lambda (w) (plist-get w :task)))))
    (unless entry
      (user-error "Braid: #%d has no worktree (not started yet, or landed)" id))
    (dired (plist-get entry :path))))

;;;; Keys of the board, task and log buffers

(defconst braid--action-keys
  '(("RET" . braid-task-detail)
    ("s" . braid-start)
    ("c" . braid-cancel)
    ("r" . braid-retry)
    ("a" . braid-approve)
    ("x" . braid-reject)
    ("m" . braid-merge)
    ("d" . braid-diff)
    ("l" . braid-log)
    ("o" . braid-open-worktree)
    ("A" . braid-abandon)
    ("+" . braid-add)
    ("R" . braid-run)
    ("E" . braid-events)
    ("g" . braid-refresh))
  "Keys of the board, task and log buffers.")

(defun braid--action-map (parent)
  "A keymap with `braid--action-keys' whose parent is PARENT."
  (let ((map (make-sparse-keymap)))
    (set-keymap-parent map parent)
    (pcase-dolist (`(,key . ,command) braid--action-keys)
      (define-key map (kbd key) command))
    map))

;;;; Logs

(defvar braid-log-mode-map (braid--action-map special-mode-map)
  "Keys of `braid-log-mode'.")

(define-derived-mode braid-log-mode special-mode "Braid-Log"
  "A task's session log, followed as it grows.
\\{braid-log-mode-map}")

(defun braid--log-buffers (task)
  "The live log buffers following TASK."
  (cl-remove-if-not (lambda (buffer)
                      (with-current-buffer buffer
                        (and (derived-mode-p 'braid-log-mode)
                             (eql braid--buffer-task task))))
                    (buffer-list)))

(defun braid--log-insert (text)
  "Append TEXT to the log buffer, following it in windows at its end."
  (let ((inhibit-read-only t)
        (follow (cl-remove-if-not (lambda (window) (= (window-point window) (point-max)))
                                  (get-buffer-window-list (current-buffer) nil t)))
        (at-end (= (point) (point-max))))
    (save-excursion
      (goto-char (point-max))
      (insert text))
    (when at-end (goto-char (point-max)))
    (dolist (window follow) (set-window-point window (point-max)))))

(defun braid--log-header (task session)
  "The line that opens SESSION of TASK in a log buffer."
  (format "==> #%d, session %s\n" task session))

(defun braid--log-start-session (session offset)
  "Go on in the log buffer with SESSION, from byte OFFSET of its log."
  (braid--log-insert (concat (if (> (buffer-size) 0) "\n" "")
                             (braid--log-header braid--buffer-task session)))
  (setq braid--log-session session
        braid--log-next offset))

(defun braid--log-output (session offset text)
  "Add TEXT at byte OFFSET of SESSION's log to the current log buffer."
  (unless (equal session braid--log-session)
    (braid--log-start-session session offset))
  (let* ((bytes (encode-coding-string text 'utf-8 t))
         (end (+ offset (length bytes))))
    (when (> end braid--log-next)
      (let ((skip (max 0 (- braid--log-next offset))))
        (braid--log-insert (if (zerop skip) text
                             (decode-coding-string (substring bytes skip) 'utf-8)))
        (setq braid--log-next end)))))

(defun braid--on-session-output (params)
  "Output of a session (PARAMS of `session/output')."
  (let ((session (plist-get params :session))
        (offset (plist-get params :offset))
        (text (plist-get params :text)))
    (dolist (buffer (braid--log-buffers (plist-get params :task)))
      (with-current-buffer buffer
        (if (listp braid--log-pending)
            (push (list session offset text) braid--log-pending)
          (braid--log-output session offset text))))))

;;;###autoload
(defun braid-log (id)
  "Show the log of task ID's latest session, then follow its output.
Output of later sessions of the task is appended as it comes."
  (interactive (list (braid--read-task "Log of task: ")))
  (braid--ensure)
  (let ((buffer (get-buffer-create (format "*braid-log #%d*" id)))
        (root braid--root))
    (with-current-buffer buffer
      (let ((inhibit-read-only t)) (erase-buffer))
      (braid-log-mode)
      (setq default-directory root)
      (setq braid--buffer-task id
            braid--log-session nil
            braid--log-next 0
            braid--log-pending nil)
      (unwind-protect
          (condition-case err
              (let ((log (jsonrpc-request braid--connection 'session/log
                                          (list :task id :tail braid-log-tail)
                                          :timeout braid-request-timeout)))
                (braid--log-output (plist-get log :session) (plist-get log :offset)
                                   (plist-get log :text)))
            (jsonrpc-error
             (braid--log-insert
              (format "[#%d: %s; output appears here once a session starts]\n"
                      id (braid--error-message err)))))
        (let ((pending (reverse braid--log-pending)))
          (setq braid--log-pending t)
          (dolist (output pending) (apply #'braid--log-output output)))))
    (pop-to-buffer buffer)
    buffer))

;;;; The board

(defun braid--board-note (task)
  "What else to say about TASK in the board."
  (string-join
   (delq nil
         (list (and (plist-get task :runningSession)
                    (format "running %s" (plist-get task :runningSession)))
               (and (eq (plist-get task :queued) t) "queued")
               (plist-get task :review)
               (and (plist-get task :blockedReason)
                    (format "blocked: %s" (plist-get task :blockedReason)))
               (let ((commit (plist-get task :landedCommit)))
                 (and commit (format "landed: %s" (substring commit 0 (min 10 (length commit))))))))
   "; "))

(defun braid--board-entries ()
  "The board's rows, for `tabulated-list-entries'."
  (mapcar (lambda (task)
            (let ((risk (plist-get task :risk)))
              (list (plist-get task :id)
                    (vector (number-to-string (plist-get task :id))
                            (braid--section-title (plist-get task :section))
                            (plist-get task :title)
                            (or (plist-get task :owner) (plist-get task :agent) "")
                            (number-to-string (or (plist-get task :attempts) 0))
                            (or (plist-get task :lastGate) "")
                            (if risk (format "%s" (plist-get risk :level)) "")
                            (braid--board-note task)))))
          (braid-tasks)))

(defun braid--board-sort-id (a b)
  "Compare the rows A and B by task id."
  (< (car a) (car b)))

(defun braid--board-sort-section (a b)
  "Compare the rows A and B by board section."
  (braid--board-order-p (braid-task (car a)) (braid-task (car b))))

(defvar braid-board-mode-map (braid--action-map tabulated-list-mode-map)
  "Keys of `braid-board-mode'.")

(define-derived-mode braid-board-mode tabulated-list-mode "Braid-Board"
  "The Braid board: one line a task, updated as tasks change.
\\{braid-board-mode-map}"
  (setq tabulated-list-format
        [("#" 4 braid--board-sort-id :right-align t)
         ("Section" 11 braid--board-sort-section)
         ("Title" 32 t)
         ("Owner" 10 t)
         ("Tries" 5 nil :right-align t)
         ("Gate" 18 t)
         ("Risk" 8 t)
         ("Note" 0 nil)])
  (setq tabulated-list-padding 1)
  (setq tabulated-list-entries #'braid--board-entries)
  (setq tabulated-list-sort-key nil)
  (tabulated-list-init-header))

(defun braid--board-goto (id)
  "Move point to the line of task ID, if there is one."
  (let ((start (point)))
    (goto-char (point-min))
    (while (and (not (eobp)) (not (eql (tabulated-list-get-id) id)))
      (forward-line 1))
    (when (eobp) (goto-char start))))

(defun braid--board-redraw ()
  "Redraw the board, keeping each window on its task."
  (let ((windows (mapcar (lambda (window)
                           (cons window (save-excursion
                                          (goto-char (window-point window))
                                          (tabulated-list-get-id))))
                         (get-buffer-window-list (current-buffer) nil t))))
    (tabulated-list-print t)
    (dolist (entry windows)
      (save-excursion
        (braid--board-goto (cdr entry))
        (set-window-point (car entry) (point))))))

;;;###autoload
(defun braid-status ()
  "Show the board of the current repository in *braid-board*."
  (interactive)
  (braid--ensure)
  (let ((root braid--root)
        (buffer (get-buffer-create "*braid-board*")))
    (with-current-buffer buffer
      (unless (derived-mode-p 'braid-board-mode) (braid-board-mode))
      (setq default-directory root)
      (braid--board-redraw))
    (pop-to-buffer-same-window buffer)
    buffer))

(defun braid-refresh ()
  "Ask the server for the tasks again and redraw this buffer."
  (interactive)
  (braid--ensure)
  (braid--reload-tasks)
  (cond ((derived-mode-p 'braid-task-mode) (braid-task-detail braid--buffer-task))
        ((derived-mode-p 'braid-log-mode) (braid-log braid--buffer-task)))
  (message "Braid: %d tasks" (hash-table-count braid--tasks)))

;;;; A task's detail

(defvar braid-task-mode-map (braid--action-map special-mode-map)
  "Keys of `braid-task-mode'.")

(define-derived-mode braid-task-mode special-mode "Braid-Task"
  "One Braid task: its fields and sessions.
\\{braid-task-mode-map}")

(defun braid-task-detail (id)
  "Show task ID: its fields, risk and sessions."
  (interactive (list (braid--read-task "Task: ")))
  (let* ((task (or (braid-task id)
                   (progn (braid--reload-tasks) (braid-task id))
                   (user-error "Braid: no task #%d" id)))
         (sessions (plist-get (braid--request 'session/list (list :task id)) :sessions))
         (risk (plist-get task :risk))
         (root braid--root)
         (buffer (get-buffer-create (format "*braid-task #%d*" id))))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (erase-buffer)
        (braid-task-mode)
        (setq default-directory root)
        (setq braid--buffer-task id)
        (insert (propertize (format "#%d %s" id (plist-get task :title)) 'face 'bold) "\n\n")
        (pcase-dolist (`(,label . ,value)
                       `(("section" . ,(braid--section-title (plist-get task :section)))
                         ("owner" . ,(plist-get task :owner))
                         ("agent" . ,(or (plist-get task :agent) "(the default)"))
                         ("attempts" . ,(format "%s failed" (plist-get task :attempts)))
                         ("gate" . ,(plist-get task :lastGate))
                         ("risk" . ,(and risk (format "%s (score %s)" (plist-get risk :level)
                                                      (plist-get risk :score))))
                         ("review" . ,(plist-get task :review))
                         ("running" . ,(plist-get task :runningSession))
                         ("queued" . ,(and (eq (plist-get task :queued) t) "yes"))
                         ("blocked" . ,(plist-get task :blockedReason))
                         ("landed" . ,(plist-get task :landedCommit))))
          (when value (insert (format "%-10s %s\n" label value))))
        (when (and risk (> (length (plist-get risk :reasons)) 0))
          (insert "\nRisk\n")
          (mapc (lambda (reason) (insert (format "  - %s\n" reason))) (plist-get risk :reasons)))
        (insert (format "\nSessions (%d)\n" (length sessions)))
        (mapc (lambda (session)
                (insert (format "  %s  attempt %s  %s  %s%s%s\n"
                                (plist-get session :id) (plist-get session :attempt)
                                (plist-get session :agent)
                                (if (eq (plist-get session :running) t) "running"
                                  (or (plist-get session :endReason) "ended"))
                                (if (plist-get session :exitCode)
                                    (format " (exit %s)" (plist-get session :exitCode)) "")
                                (if (plist-get session :gate)
                                    (format "  gate: %s" (braid--first-line (plist-get session :gate)))
                                  ""))))
              sessions)
        (insert "\n" (substitute-command-keys
                      "\\<braid-task-mode-map>\\[braid-diff] diff, \\[braid-log] log, \\[braid-open-worktree] worktree, \\[braid-start] start, \\[braid-cancel] cancel, \\[braid-retry] retry, \\[braid-approve] approve, \\[braid-reject] reject, \\[braid-merge] merge, \\[braid-refresh] refresh\n"))
        (set-buffer-modified-p nil)
        (goto-char (point-min))))
    (pop-to-buffer buffer)
    buffer))

;;;; The command map

(defvar braid-command-map
  (let ((map (make-sparse-keymap)))
    (define-key map "s" #'braid-status)
    (define-key map "a" #'braid-add)
    (define-key map "r" #'braid-run)
    (define-key map "d" #'braid-diff)
    (define-key map "l" #'braid-log)
    (define-key map "o" #'braid-open-worktree)
    (define-key map "e" #'braid-events)
    (define-key map "q" #'braid-shutdown)
    map)
  "Braid's commands, to bind to a prefix key of your choice.")
(fset 'braid-command-map braid-command-map)

(provide 'braid)
;;; braid.el ends here
